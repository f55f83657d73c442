"""Where a fine-tuned artifact comes from, written once for every family.

A fine-tuning recipe calls `record(...)` and merges what it returns into the new artifact's
metadata (zoo.json): the base artifact (its name and the sha256 of its weights file, and the base's own
ancestors), the files it was fine-tuned on (name, sha256, size), the command that redoes it, and
the metrics before and after. `cards.render_card` turns that into the card's "Fine-tuned from"
section and, for a base loaded from the Hub, its `base_model:` front matter (the Hub's
convention); `zoo info DIR` prints it.

No Keras here: `zoo info` reads lineage without importing TensorFlow.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from zoo import io

# What a fine-tuned artifact's config does not take over from its base's: its own files, metrics
# and lineage are written afresh.
NOT_INHERITED = ("files", "metrics", "base_model", "finetuned_on", "finetune")


def base_record(art) -> dict:
    """The base artifact as the new one's config records it. `hub_repo` is set on artifacts
    loaded from the Hub, whose repo id is what the Hub's `base_model:` field expects."""
    config = art.config
    files = config.get("files", {})
    # The weights file: model.weights.h5, or model.keras in the first layout.
    record = {"name": art.name, "model_sha256": files.get("model.weights.h5") or files.get("model.keras"),
              "metrics": dict(config.get("metrics", {}))}
    if getattr(art, "hub_repo", None):
        record["hub_repo"] = art.hub_repo
    ancestors = ancestry(config)
    if ancestors:
        record["ancestors"] = ancestors
    return record


def ancestry(config: dict) -> list[str]:
    """The names of a config's base, its base's base, ... (nearest first); [] for a trained one."""
    base = config.get("base_model")
    if not isinstance(base, dict) or not isinstance(base.get("name"), str):
        return []
    further = base.get("ancestors", [])
    return [base["name"], *[name for name in further if isinstance(name, str)]]


def data_record(path) -> dict:
    path = Path(path)
    return {"file": path.name, "sha256": io.sha256_file(path), "bytes": path.stat().st_size}


def shown_path(path) -> str:
    """A path as the user gave it (`runs/mine` stays `runs/mine`), but a folder in the home folder
    as `~/...`: a card is meant to be published, and the home folder names the user."""
    path = Path(path)
    home = Path.home()
    if path.is_absolute() and path != home and path.is_relative_to(home):
        return "~/" + path.relative_to(home).as_posix()
    return path.as_posix()


def command(base: str, data_flags: list[tuple[str, list]], *, epochs, out, options: dict) -> str:
    """The `zoo finetune` command line that redoes this run (file names as given, not resolved)."""
    words = ["zoo", "finetune", base]
    for flag, values in data_flags:
        words += [flag, *[str(v) for v in values]]
    if epochs is not None:
        words += ["--epochs", str(epochs)]
    words += ["--out", shown_path(out)]
    for key, value in sorted(options.items()):
        words += ["-o", f"{key}={value}"]
    return " ".join(shlex.quote(w) for w in words)


def record(art, *, data: list, data_flags: list[tuple[str, list]], out, epochs, options: dict,
           before: dict, after: dict, summary: str) -> dict:
    """Config entries for a fine-tuned artifact: base_model, finetuned_on and finetune.

    data: the files read (each recorded by name, sha256 and size); data_flags: how the command
    line names them, e.g. [("--pair", ["in.png", "out.png"])]; before/after: metric -> value,
    measured on the same held-out data with the base and with the new model; summary: one
    sentence that says what was learned.
    """
    return {
        "base_model": base_record(art),
        "finetuned_on": [data_record(path) for path in data],
        "finetune": {"command": command(art.name, data_flags, epochs=epochs, out=out, options=options),
                     "epochs": epochs, "options": dict(options), "summary": summary,
                     "before": dict(before), "after": dict(after)},
    }


def hub_base_model(config: dict) -> str | None:
    """The `base_model:` value of a card: the base's Hub repo id (owner/name) when it was loaded
    from the Hub, else None. The Hub refuses a card whose base_model is not one of its models, so
    a base known only by its zoo name ("mlp-xor") is named in the card's text instead."""
    base = config.get("base_model")
    repo = base.get("hub_repo") if isinstance(base, dict) else None
    return repo if isinstance(repo, str) and repo.count("/") == 1 else None


def card_section(config: dict) -> str:
    """The card's "Fine-tuned from" section (empty for an artifact that was trained, not fine-tuned)."""
    base = config.get("base_model")
    if not isinstance(base, dict):
        return ""
    run = config.get("finetune", {})
    lines = ["## Fine-tuned from\n\n"]
    chain = " <- ".join(f"**{name}**" for name in ancestry(config))
    lines.append(f"- base model: {chain} (weights sha256 `{base.get('model_sha256')}`)\n")
    for item in config.get("finetuned_on", []):
        lines.append(f"- fine-tuned on: `{item['file']}` (sha256 `{item['sha256']}`, {item['bytes']:,} bytes)\n")
    if run.get("command"):
        lines.append(f"- command: `{run['command']}`\n")
    if run.get("summary"):
        lines.append(f"- {run['summary']}\n")
    before, after = run.get("before", {}), run.get("after", {})
    keys = [k for k in after if k in before] + [k for k in after if k not in before] + [k for k in before if k not in after]
    if keys:
        from zoo.cards import format_metric  # cards imports this module at the top

        lines.append("\n| metric | base model | fine-tuned |\n| --- | ---: | ---: |\n")
        for key in keys:
            lines.append(f"| {key} | {format_metric(before.get(key, '-'))} | {format_metric(after.get(key, '-'))} |\n")
    lines.append("\n")
    return "".join(lines)


def describe(config: dict) -> str | None:
    """One line for `zoo info`: this artifact <- its base <- ... with what it was fine-tuned on."""
    names = ancestry(config)
    if not names:
        return None
    data = ", ".join(f"{d['file']} ({d['sha256'][:12]}, {d['bytes']:,} bytes)" for d in config.get("finetuned_on", []))
    base = config["base_model"]
    sha = (base.get("model_sha256") or "")[:12]
    return (f"{config.get('name', '?')} <- " + " <- ".join(names)
            + f"; base weights sha256 {sha}..." + (f"; fine-tuned on {data}" if data else ""))
