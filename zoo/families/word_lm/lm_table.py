"""The table of the zoo's word-level language models side by side (README, cards, benchmark).

Rendering only: no Keras here, so `zoo cards` starts at once. The count models' rows come from
`benchmarks/lm_table.py`'s last run (they are deterministic), the neural rows from the registry.
"""

from __future__ import annotations

from pathlib import Path

from zoo import io, registry

NEURAL_ARTIFACTS = ["ngram-lm-shakespeare", "gru-lm-shakespeare", "lstm-lm-shakespeare"]


def neural_rows() -> list[dict]:
    """The registered neural language models' rows, from their configs (the registry is the
    source of truth: re-registering a model changes the README's table at the next `zoo cards`)."""
    rows = []
    registered = registry.artifacts()
    for name in NEURAL_ARTIFACTS:
        if name in registered:
            config = io.read_json(io.artifact_metadata_path(registry.packaged_folder(name)))
            row = table_row(name, config["metrics"], config["training"]["seconds"])
            row["hardware"] = config["training"]["environment"].get("accelerator")
            rows.append(row)
    return rows


def table_row(name: str, metrics: dict, seconds: float) -> dict:
    return {"model": name, "test_perplexity": metrics["test_perplexity"], "parameters": metrics["parameters"],
            "training_seconds": seconds, "measured_by": f"zoo eval {name}"}


def _on_accelerator(row) -> str:
    hardware = row.get("hardware") or ""
    return "" if hardware.lower() in ("", "cpu", "none (cpu)") else f" ({hardware})"


NLTK_DEFAULT_KN = ("Kneser-Ney 3-gram", "Kneser-Ney 5-gram")  # the reference rows


def kneser_ney_references(rows: list[dict]) -> tuple[float, float]:
    """The perplexities the ratios divide by: the better of nltk's default Kneser-Ney 3-/5-gram,
    and the best Kneser-Ney row of any order and discount."""
    best_nltk_default = min(r["test_perplexity"] for r in rows if r["model"] in NLTK_DEFAULT_KN)
    best_kn = min(r["test_perplexity"] for r in rows if r["model"].startswith("Kneser-Ney"))
    return best_nltk_default, best_kn


def comparison_markdown(rows: list[dict]) -> str:
    """A table of language models (a card's, the README's, benchmarks/lm_table.py's), with each
    model's ratio to nltk's default Kneser-Ney 3-/5-gram and to the best Kneser-Ney row."""
    best_nltk_default, best_kn = kneser_ney_references(rows)
    lines = ["| model | test perplexity | vs best nltk-default KN (3-/5-gram) | vs best KN | parameters | "
             "training time | reproduced by |", "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        params = f"{r['parameters']:,}" + (" n-grams" if r.get("parameters_note") else "")
        lines.append(f"| {r['model']} | {r['test_perplexity']:.1f} | {r['test_perplexity'] / best_nltk_default:.2f}x | "
                     f"{r['test_perplexity'] / best_kn:.2f}x | {params} | {r['training_seconds']:.0f} s"
                     f"{_on_accelerator(r)} | `{r['measured_by']}` |")
    return "\n".join(lines)


LM_TABLE_RESULTS = "benchmarks/results/lm_table.json"


def readme_table_markdown(repo_root=registry.REPO_ROOT) -> str:
    """The README's table: the count models as `benchmarks/lm_table.py` last measured them (they
    are deterministic) and the neural models as registered now."""
    measured = io.read_json(Path(repo_root) / LM_TABLE_RESULTS)
    count_rows = [r for r in measured["rows"] if r.get("parameters_note")]
    return comparison_markdown(count_rows + neural_rows())
