"""The language-model table: every word-level model on the same tinyshakespeare test split.

Count models (nltk.lm's Laplace and interpolated Kneser-Ney, reproduced by the numpy CountLM,
which tests/test_language_models.py checks against nltk to 1e-9) are fit and scored here; the
neural models are the registered artifacts, re-measured with their recipes' evaluation (the
same as `zoo eval NAME`). Prints the table (markdown) and writes benchmarks/results/lm_table.json.

    python benchmarks/lm_table.py
"""

from pathlib import Path

import zoo
from zoo import io, registry
from zoo.families.word_lm import lm_table
from zoo.families.word_lm import words
from zoo.families.word_lm import ngram


def main() -> dict:
    corpus = words.load_corpus()
    rows = ngram.count_baselines(corpus)
    for name in lm_table.NEURAL_ARTIFACTS:
        if name not in registry.artifacts():
            print(f"{name} is not registered; train it with `zoo train {name} --register`")
            continue
        checked = zoo.evaluate(name)
        config = io.read_json(io.artifact_metadata_path(registry.packaged_folder(name)))
        row = lm_table.table_row(name, {k: v["measured"] for k, v in checked.items()}, config["training"]["seconds"])
        row["reproduces_registered_metrics"] = all(v["ok"] for v in checked.values())
        row["epochs"] = config["training"]["epochs_run"]
        row["hardware"] = config["training"]["environment"].get("accelerator")
        rows.append(row)
    best_nltk_default, best_kn = lm_table.kneser_ney_references(rows)
    for r in rows:
        r["vs_best_kn_3_5_gram"] = r["test_perplexity"] / best_nltk_default
        r["vs_best_kn"] = r["test_perplexity"] / best_kn
    table = lm_table.comparison_markdown(rows)
    print(table)
    result = {"benchmark": "lm_table", "dataset": corpus.describe(), "rows": rows,
              "best_kneser_ney_3_or_5_gram": best_nltk_default, "best_kneser_ney": best_kn, "markdown": table}
    out = Path(__file__).resolve().parent / "results" / "lm_table.json"
    io.write_json(out, result)
    print(f"written to {out}")
    return result


if __name__ == "__main__":
    main()
