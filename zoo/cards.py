"""Model cards: each artifact's README.md (with the Hub's YAML front matter), and MODEL_CARDS.md
at the top of the repository, generated from them (`zoo cards` rewrites it; a test checks it).
"""

from __future__ import annotations

import json
import re

from zoo import io, lineage, registry

MODEL_CARDS_PATH = registry.REPO_ROOT / "MODEL_CARDS.md"
README_PATH = registry.REPO_ROOT / "README.md"
TABLE_START, TABLE_END = "<!-- models:start -->", "<!-- models:end -->"
LM_TABLE_START, LM_TABLE_END = "<!-- lm-table:start -->", "<!-- lm-table:end -->"


def _yaml_list(key: str, values) -> str:
    # YAML by hand (the front matter is flat): JSON strings are valid YAML scalars.
    return f"{key}:\n" + "".join(f"- {json.dumps(str(v))}\n" for v in values)


def front_matter(config: dict) -> str:
    card = config.get("card", {})
    lines = ["---\n", "library_name: keras\n", f"license: {card.get('license', 'mit')}\n"]
    tags = ["keras", "keras-zoo", config["architecture"], *card.get("tags", [])]
    lines.append(_yaml_list("tags", list(dict.fromkeys(tags))))  # each once, in order
    dataset = config.get("dataset", {}).get("name")
    if dataset:
        lines.append(_yaml_list("datasets", [dataset]))
    if config.get("metrics"):
        lines.append(_yaml_list("metrics", sorted(config["metrics"])))
    base = lineage.hub_base_model(config)
    if base:  # the Hub's convention for a fine-tuned model
        lines.append(f"base_model: {json.dumps(base)}\nbase_model_relation: finetune\n")
    lines.append("---\n")
    return "".join(lines)


def format_metric(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def render_card(config: dict, body: str) -> str:
    """The card: front matter, title, the recipe's own text, then the facts every card has."""
    name = config["name"]
    parts = [front_matter(config), f"\n# {name}\n\n", config.get("description", "").strip() + "\n\n",
             body.strip() + "\n\n", lineage.card_section(config)]
    if config.get("metrics"):
        parts.append("## Metrics\n\n| metric | value |\n| --- | --- |\n")
        parts += [f"| {k} | {format_metric(v)} |\n" for k, v in sorted(config["metrics"].items())]
        parts.append("\n")
    dataset = config.get("dataset")
    if dataset:
        parts.append("## Data\n\n")
        parts += [f"- {k}: {v}\n" for k, v in dataset.items()]
        parts.append("\n")
    training = config.get("training", {})
    env = training.get("environment", {})
    if training:
        parts.append("## Training\n\n")
        run = config.get("finetune", {})
        if run.get("command"):  # fine-tuned: the base's training, then this run
            parts.append(f"- recipe: `{config.get('recipe', '')}`; fine-tuned with `{run['command']}`\n")
        else:
            parts.append(f"- recipe: `{config.get('recipe', '')}` (`zoo train {name}`)\n")
        if "seconds" in training:
            parts.append(f"- wall time: {training['seconds']:.1f} s"
                         + (" (the base's training)" if run.get("command") else "") + "\n")
        if env:
            versions = ", ".join(f"{k} {env[k]}" for k in ("keras", "tensorflow", "jax", "numpy") if k in env)
            parts.append(f"- backend: {env.get('backend')} ({versions})\n")
            parts.append(f"- hardware: {env.get('accelerator')}, {env.get('cpu_count')} CPU cores, {env.get('platform')}\n")
        parts.append("\n")
    # A registered (or registrable) artifact loads by name; any other by its folder.
    loadable = name in registry.artifacts() or (registry.RECIPES_DIR / f"{name.replace('-', '_')}.py").is_file()
    target = repr(name) if loadable else '"path/to/this/folder"'
    parts.append(f"## Use\n\n```python\nimport zoo\nart = zoo.load({target})\n```\n")
    return "".join(parts)


def strip_front_matter(text: str) -> str:
    return re.sub(r"\A---\n.*?\n---\n", "", text, count=1, flags=re.S).lstrip()


def model_cards_markdown() -> str:
    out = ["# Model cards\n\n",
           "Generated from each artifact's `README.md` by `zoo cards`; do not edit by hand.\n\n"]
    for name in sorted(registry.artifacts()):
        card = (registry.packaged_folder(name) / "README.md").read_text(encoding="utf-8")
        body = strip_front_matter(card)
        body = re.sub(r"^(#+) ", lambda m: "#" + m.group(1) + " ", body, flags=re.M)  # nest headings
        body = re.sub(r"\]\((?!https?://)([^)]+\.png)\)", rf"](zoo/pretrained/{name}/\1)", body)
        out.append(body.rstrip() + "\n\n")
    return "".join(out)


def models_table() -> str:
    reg = registry.load_registry()
    rows = ["| architecture | task | pretrained artifacts | source |", "| --- | --- | --- | --- |"]
    for arch_name, arch in sorted(reg["architectures"].items()):
        pretrained = [n for n, a in sorted(reg["artifacts"].items()) if a["architecture"] == arch_name]
        rows.append(f"| `{arch_name}` | {arch['task']} | {', '.join(f'`{p}`' for p in pretrained) or '—'} "
                    f"| {arch['source']} |")
    return "\n".join(rows) + "\n"


def _replace_between(text: str, start: str, end: str, content: str) -> str:
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    return pattern.sub(lambda _: f"{start}\n{content}{end}", text)


def readme_with_table(readme: str) -> str:
    """The README's generated tables: the architectures, and the language models side by side
    (neural rows from the registry, so that re-registering a model cannot leave it stale)."""
    from zoo import lm_table

    readme = _replace_between(readme, TABLE_START, TABLE_END, models_table())
    if LM_TABLE_START in readme:
        readme = _replace_between(readme, LM_TABLE_START, LM_TABLE_END,
                                  lm_table.readme_table_markdown() + "\n")
    return readme


def _generated() -> dict:
    """Each generated file's path -> the content it should have now."""
    readme = README_PATH.read_text(encoding="utf-8")
    return {MODEL_CARDS_PATH: model_cards_markdown(), README_PATH: readme_with_table(readme)}


def stale_files() -> list[str]:
    """The generated files that differ from what the artifacts' cards say (`zoo cards --check`)."""
    return [path.name for path, content in _generated().items()
            if not path.exists() or path.read_text(encoding="utf-8") != content]


def write_all() -> list[str]:
    """Regenerate MODEL_CARDS.md and the README's model table; return the files changed."""
    changed = []
    for path, content in _generated().items():
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            io.write_text(path, content)
            changed.append(path.name)
    return changed


FINETUNE_START, FINETUNE_END = "<!-- finetune:start -->", "<!-- finetune:end -->"


def set_finetune_section(name: str, markdown: str) -> bool:
    """Put a measured "Fine-tuning" section into a registered artifact's card (maintainers: the
    benchmarks under benchmarks/finetune_*.py call it with --write-card). The card's sha256 is
    re-pinned in the artifact's zoo.json and in registry.json; nothing else changes.
    Returns whether the card changed."""
    registry.require_source_checkout("writing a registered card")
    folder = registry.packaged_folder(name)
    card_path = folder / "README.md"
    card = card_path.read_text(encoding="utf-8")
    content = f"## Fine-tuning\n\n{markdown.strip()}\n"
    section = f"{FINETUNE_START}\n{content}{FINETUNE_END}\n"
    if FINETUNE_START in card:
        updated = _replace_between(card, FINETUNE_START, FINETUNE_END, content)
    else:  # before the closing "## Use" section, which every card ends with
        head, use, tail = card.rpartition("## Use\n")
        updated = f"{head}{section}\n{use}{tail}" if use else f"{card.rstrip()}\n\n{section}"
    if updated == card:
        return False
    io.write_text(card_path, updated)
    metadata = io.artifact_metadata_path(folder)
    config = io.read_json(metadata)
    config["files"]["README.md"] = io.sha256_file(card_path)
    io.write_text(metadata, json.dumps(config, indent=2, ensure_ascii=False) + "\n")
    registry.register_artifact(name, folder)
    write_all()
    return True
