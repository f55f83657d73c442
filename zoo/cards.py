"""Model cards: each artifact's README.md (with the Hub's YAML front matter), and MODEL_CARDS.md
at the top of the repository, generated from them (`zoo cards` rewrites it; a test checks it).
"""

from __future__ import annotations

import json
import math
import re

from zoo import io, lineage, registry

MODEL_CARDS_PATH = registry.REPO_ROOT / "MODEL_CARDS.md"
WEIGHTS_LINK = registry.CHECKOUT_WEIGHTS_DIR.relative_to(registry.REPO_ROOT).as_posix()  # the plots' folder
README_PATH = registry.REPO_ROOT / "README.md"
TABLE_START, TABLE_END = "<!-- models:start -->", "<!-- models:end -->"


# The Hub's pipeline tags: the keys of PIPELINE_DATA in huggingface.js,
# packages/tasks/src/pipelines.ts (huggingface_hub carries no copy). text2text-generation is not
# one since July 2025 (huggingface.js #1590): it is a sub-task of text-generation now.
HUB_PIPELINE_TAGS = frozenset("""
    text-classification token-classification table-question-answering question-answering
    zero-shot-classification translation summarization feature-extraction text-generation fill-mask
    sentence-similarity text-to-speech text-to-audio automatic-speech-recognition audio-to-audio
    audio-classification audio-text-to-text voice-activity-detection depth-estimation
    image-classification object-detection image-segmentation text-to-image image-to-text
    image-to-image image-to-video unconditional-image-generation video-classification
    reinforcement-learning robotics tabular-classification tabular-regression tabular-to-text
    table-to-text multiple-choice text-ranking text-retrieval time-series-forecasting text-to-video
    image-text-to-text image-text-to-image image-text-to-video visual-question-answering
    document-question-answering zero-shot-image-classification graph-ml mask-generation
    zero-shot-object-detection text-to-3d image-to-3d image-feature-extraction video-text-to-text
    keypoint-detection visual-document-retrieval any-to-any video-to-video other""".split())
# The Hub's license identifiers: hub-docs, docs/hub/repositories-licenses.md ("other" for any
# license not listed, named by license_name).
HUB_LICENSES = frozenset("""
    apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m bigscience-bloom-rail-1.0
    bigcode-openrail-m afl-3.0 artistic-2.0 bsl-1.0 bsd bsd-2-clause bsd-3-clause bsd-3-clause-clear
    c-uda cc cc0-1.0 cc-by-2.0 cc-by-2.5 cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0
    cc-by-nc-3.0 cc-by-nc-4.0 cc-by-nd-4.0 cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0
    cc-by-nc-sa-3.0 cc-by-nc-sa-4.0 cdla-sharing-1.0 cdla-permissive-1.0 cdla-permissive-2.0 wtfpl
    ecl-2.0 epl-1.0 epl-2.0 etalab-2.0 eupl-1.1 eupl-1.2 agpl-3.0 gfdl gpl gpl-2.0 gpl-3.0 lgpl
    lgpl-2.1 lgpl-3.0 isc h-research intel-research lppl-1.3c ms-pl apple-ascl apple-amlr mpl-2.0
    odc-by odbl openmdw-1.0 openmdw-1.1 openrail++ osl-3.0 postgresql ofl-1.1 ncsa unlicense zlib
    pddl lgpl-lr deepfloyd-if-license fair-noncommercial-research-license llama2 llama3 llama3.1
    llama3.2 llama3.3 llama4 grok2-community gemma unknown other""".split())
# How a model relates to its base_model, as the Hub's model tree reads it.
HUB_BASE_MODEL_RELATIONS = ("adapter", "merge", "quantized", "finetune")
# The card's keys in the order a reader looks for them (model-index, the longest, comes last).
FRONT_MATTER_ORDER = ["library_name", "license", "pipeline_tag", "language", "tags", "datasets",
                      "base_model", "base_model_relation"]
FRONT_MATTER = re.compile(r"\A---\n(.*?\n)?---\n", re.S)


def hub_dataset_id(config: dict) -> str | None:
    """The Hub's id of the data an artifact was trained on, or None for data the Hub does not
    hold (generated points, a truth table, a sample photograph): those the card's text describes."""
    from zoo import data

    known = data.DATASETS.get(config.get("dataset", {}).get("name"))
    return known.hub_id if known else None


def _is_measured_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:96] or "data"


def _eval_results(config: dict, architecture: dict) -> list:
    """The config's measured metrics (numbers only) as huggingface_hub EvalResults: one task (the
    architecture's pipeline tag), one dataset, so the Hub shows them together."""
    from huggingface_hub import EvalResult

    data_name = str(config.get("dataset", {}).get("name") or "unnamed data")
    # model-index needs a dataset type: the Hub id when there is one, else an id-like name of
    # the zoo's data (the card's "Data" section says what it is).
    data_type = hub_dataset_id(config) or _slug(data_name)
    return [EvalResult(task_type=architecture.get("pipeline_tag") or "other", task_name=architecture.get("task"),
                       dataset_type=data_type, dataset_name=data_name, metric_type=key, metric_value=value)
            for key, value in sorted(config.get("metrics", {}).items()) if _is_measured_number(value)]


def front_matter(config: dict) -> str:
    """The card's YAML front matter (with its two '---' lines), built with huggingface_hub's
    ModelCardData, so that the Hub reads back exactly what the zoo means."""
    from huggingface_hub import ModelCardData

    card = config.get("card", {})
    architecture = registry.architectures().get(config.get("architecture"), {})
    tags = ["keras", "keras-zoo", config["architecture"], *card.get("tags", [])]
    dataset = hub_dataset_id(config)
    base = lineage.hub_base_model(config)
    results = _eval_results(config, architecture)
    metadata = ModelCardData(
        library_name="keras", license=card.get("license", "mit"),
        pipeline_tag=architecture.get("pipeline_tag"), language=architecture.get("language"),
        tags=list(dict.fromkeys(str(tag) for tag in tags)),  # each once, in order
        datasets=[dataset] if dataset else None,
        base_model=base, base_model_relation="finetune" if base else None,
        model_name=config["name"] if results else None, eval_results=results or None)
    return f"---\n{metadata.to_yaml(original_order=FRONT_MATTER_ORDER)}\n---\n"


def with_front_matter(card_text: str, config: dict) -> str:
    """A card with its front matter replaced by front_matter(config); the rest is kept as it is,
    byte for byte (a card without front matter gets it put on top)."""
    match = FRONT_MATTER.match(card_text)
    body = card_text[match.end():] if match else card_text
    return front_matter(config) + body


def read_front_matter(card_text: str) -> dict | None:
    """The metadata of a card's front matter; None when it has none."""
    import yaml

    match = FRONT_MATTER.match(card_text)
    if not match:
        return None
    return yaml.safe_load(match.group(1) or "") or {}


def is_hub_repo_id(value) -> bool:
    """owner/name as the Hub spells a repository (huggingface_hub's rule, with the owner
    required: the Hub keeps its old un-owned datasets and models under organisations now)."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    if not isinstance(value, str) or value.count("/") != 1:
        return False
    try:
        validate_repo_id(value)
    except HFValidationError:
        return False
    return True


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _model_index_problems(model_index) -> list[str]:
    """The shape hub-docs' modelcard.md asks of model-index: each entry a name and results,
    each result a task with its type, a dataset with type and name, metrics with type and value."""
    if not isinstance(model_index, list):
        return ["model-index: must be a list of models, each with a name and results"]
    problems = []
    for i, entry in enumerate(model_index):
        where = f"model-index[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("results"), list):
            problems.append(f"{where}: needs a name and a list of results")
            continue
        if not isinstance(entry.get("name"), str):
            problems.append(f"{where}.name: missing (the model's name)")
        for j, result in enumerate(entry["results"]):
            at = f"{where}.results[{j}]"
            if not isinstance(result, dict):
                problems.append(f"{at}: must be a mapping with task, dataset and metrics")
                continue
            for part, key in (("task", "type"), ("dataset", "type"), ("dataset", "name")):
                section = result.get(part)
                if not isinstance(section, dict) or not isinstance(section.get(key), str):
                    problems.append(f"{at}.{part}.{key}: missing (the Hub requires it)")
            metrics = result.get("metrics")
            if not isinstance(metrics, list) or not metrics:
                problems.append(f"{at}.metrics: must be a list of metrics, each with type and value")
                continue
            for k, metric in enumerate(metrics):
                for key in ("type", "value"):
                    if not isinstance(metric, dict) or metric.get(key) is None:
                        problems.append(f"{at}.metrics[{k}].{key}: missing (the Hub requires it)")
    return problems


def card_problems(metadata: dict) -> list[str]:
    """What the Hub would refuse in a card's front matter (its parsed YAML), one line each;
    [] when the Hub would take it. Offline: the Hub's rules, not its answer."""
    if not isinstance(metadata, dict):
        return ["the front matter is not a mapping of keys to values"]
    problems = []
    for value in _as_list(metadata.get("datasets") or []):
        if not is_hub_repo_id(value):
            problems.append(f"datasets: {value!r} is not a Hub dataset id (owner/name); list only data "
                            "the Hub holds and describe the rest in the card's text")
    for value in _as_list(metadata.get("base_model") or []):
        if not is_hub_repo_id(value):
            problems.append(f"base_model: {value!r} is not a Hub model id (owner/name); name the base's "
                            "Hub repository, or leave base_model out and name the base in the card's text")
    relation = metadata.get("base_model_relation")
    if relation is not None and relation not in HUB_BASE_MODEL_RELATIONS:
        problems.append(f"base_model_relation: {relation!r} is not one of {', '.join(HUB_BASE_MODEL_RELATIONS)}")
    if relation is not None and not metadata.get("base_model"):
        problems.append("base_model_relation: set without a base_model")
    tag = metadata.get("pipeline_tag")
    if tag is not None and tag not in HUB_PIPELINE_TAGS:
        problems.append(f"pipeline_tag: {tag!r} is not one of the Hub's pipeline tags (e.g. text-generation, "
                        "feature-extraction, image-to-image)")
    for license_id in _as_list(metadata.get("license") or []):
        if license_id not in HUB_LICENSES:
            problems.append(f"license: {license_id!r} is not one of the Hub's license identifiers (e.g. mit, "
                            "apache-2.0; 'other' with license_name for any other)")
    tags = metadata.get("tags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        problems.append("tags: must be a list of strings")
    if "model-index" in metadata:
        problems += _model_index_problems(metadata["model-index"])
    return problems


def format_metric(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def finetuned_section(config: dict) -> str:
    """The card's "Fine-tuned from" section (empty for an artifact that was trained, not fine-tuned)."""
    base = config.get("base_model")
    if not isinstance(base, dict):
        return ""
    run = config.get("finetune", {})
    lines = ["## Fine-tuned from\n\n"]
    chain = " <- ".join(f"**{name}**" for name in lineage.ancestry(config))
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
        lines.append("\n| metric | base model | fine-tuned |\n| --- | ---: | ---: |\n")
        for key in keys:
            lines.append(f"| {key} | {format_metric(before.get(key, '-'))} | {format_metric(after.get(key, '-'))} |\n")
    lines.append("\n")
    return "".join(lines)


def render_card(config: dict, body: str) -> str:
    """The card: front matter, title, the recipe's own text, then the facts every card has."""
    name = config["name"]
    parts = [front_matter(config), f"\n# {name}\n\n", config.get("description", "").strip() + "\n\n",
             body.strip() + "\n\n", finetuned_section(config)]
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
    parts.append(use_section(config))
    return "".join(parts)


USE_HEADING = "## Use\n"


def use_section(config: dict) -> str:
    """The card's closing section: load it with the zoo (the task's API), or the network alone
    with plain Keras, as the Hub's Keras snippet does."""
    name = config["name"]
    # A registered (or registrable) artifact loads by name; any other by its folder.
    loadable = name in registry.artifacts() or (registry.RECIPES_DIR / f"{name.replace('-', '_')}.py").is_file()
    target = repr(name) if loadable else '"path/to/this/folder"'
    hub = f"hf://{registry.DEFAULT_HUB_ORG}/{name}" if loadable else "hf://OWNER/NAME"
    return (f"{USE_HEADING}\n```python\nimport zoo\nart = zoo.load({target})\n```\n\n"
            "The network alone, with plain Keras (`import zoo.models` registers the zoo's layers; "
            "loading runs no code from the files):\n\n"
            f"```python\nimport keras\nimport zoo.models\nmodel = keras.saving.load_model({hub!r})\n```\n")


def refresh_card(card_text: str, config: dict) -> str:
    """A card with its generated parts made anew from its metadata: the front matter and the
    closing Use section. The recipe's text between them is kept byte for byte."""
    card = with_front_matter(card_text, config)
    head, heading, _ = card.rpartition(USE_HEADING)
    return f"{head}{use_section(config)}" if heading else card


def strip_front_matter(text: str) -> str:
    return re.sub(r"\A---\n.*?\n---\n", "", text, count=1, flags=re.S).lstrip()


def model_cards_markdown() -> str:
    out = ["# Model cards\n\n",
           "Generated from each artifact's `README.md` by `zoo cards`; do not edit by hand.\n\n"]
    for name in sorted(registry.artifacts()):
        card = (registry.packaged_folder(name) / "README.md").read_text(encoding="utf-8")
        body = strip_front_matter(card)
        body = re.sub(r"^(#+) ", lambda m: "#" + m.group(1) + " ", body, flags=re.M)  # nest headings
        body = re.sub(r"\]\((?!https?://)([^)]+\.png)\)", rf"]({WEIGHTS_LINK}/{name}/\1)", body)
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
    """The README's generated tables: the architectures, and each section a family generates
    between its <!-- NAME:start --> and <!-- NAME:end --> markers (families.readme_sections; e.g.
    the word models' table of language models, whose neural rows come from the registry, so
    that re-registering a model cannot leave it stale)."""
    from zoo import families

    readme = _replace_between(readme, TABLE_START, TABLE_END, models_table())
    for marker, render in families.readme_sections().items():
        start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
        if start in readme:
            readme = _replace_between(readme, start, end, render() + "\n")
    return readme


def _generated() -> dict:
    """Each generated file's path -> the content it should have now."""
    readme = README_PATH.read_text(encoding="utf-8")
    return {MODEL_CARDS_PATH: model_cards_markdown(), README_PATH: readme_with_table(readme)}


def stale_files() -> list[str]:
    """The generated files that differ from what the artifacts' cards say (`zoo cards --check`)."""
    return [path.name for path, content in _generated().items()
            if not path.exists() or path.read_text(encoding="utf-8") != content]


def front_matter_problems(card_text: str, config: dict) -> list[str]:
    """What is wrong with a card's front matter: not what front_matter(config) gives, or refused
    by the Hub (card_problems); one line each, [] when nothing."""
    import yaml

    try:
        found = read_front_matter(card_text)
    except yaml.YAMLError as error:
        return [f"its front matter is not valid YAML ({' '.join(str(error).split())[:120]})"]
    if found is None:
        return ["it has no front matter; re-render it with cards.with_front_matter"]
    problems = []
    expected = front_matter(config)
    if FRONT_MATTER.match(card_text).group(0) != expected:
        wanted = read_front_matter(expected)
        differ = sorted(k for k in set(found) | set(wanted) if found.get(k) != wanted.get(k)) \
            if isinstance(found, dict) else []
        problems.append(f"its front matter differs from cards.front_matter(zoo.json) (in "
                        f"{', '.join(differ) or 'layout'}); re-render it with cards.with_front_matter")
    return problems + card_problems(found)


def _packaged_cards():
    """(name, card path, metadata) of every registry artifact whose card is installed here."""
    for name in sorted(registry.artifacts()):
        folder = registry.installed_folder(name)
        if folder is None:
            continue  # not installed (it loads from its Hub source): nothing here to check
        yield name, folder / "README.md", io.read_json(io.artifact_metadata_path(folder))


def packaged_card_problems() -> list[str]:
    """`zoo cards --check`: front_matter_problems of every packaged card, and a card whose Use
    section is stale, each line naming its card. Nothing is rewritten: `zoo cards` does that."""
    problems = []
    for _, card_path, config in _packaged_cards():
        where = card_path.relative_to(registry.REPO_ROOT) if card_path.is_relative_to(registry.REPO_ROOT) else card_path
        card = card_path.read_text(encoding="utf-8")
        problems += [f"{where}: {problem}" for problem in front_matter_problems(card, config)]
        if not problems and refresh_card(card, config) != card:
            problems.append(f"{where}: its Use section is not what cards.use_section gives; run `zoo cards`")
    return problems


def refresh_packaged_cards() -> list[str]:
    """`zoo cards`: re-render the generated parts of every packaged card (refresh_card), re-pin
    the card's sha256 in zoo.json and registry.json; returns the names whose card changed."""
    registry.require_source_checkout("`zoo cards`")
    changed = []
    for name, card_path, config in _packaged_cards():
        card = card_path.read_text(encoding="utf-8")
        fresh = refresh_card(card, config)
        if fresh != card:
            _rewrite_card(name, card_path, fresh)
            changed.append(name)
    return changed


def _rewrite_card(name: str, card_path, text: str) -> None:
    """Write a registered artifact's card and re-pin its sha256 in zoo.json and registry.json."""
    io.write_text(card_path, text)
    metadata = io.artifact_metadata_path(card_path.parent)
    config = io.read_json(metadata)
    config["files"]["README.md"] = io.sha256_file(card_path)
    io.write_text(metadata, json.dumps(config, indent=2, ensure_ascii=False) + "\n")
    registry.register_artifact(name, card_path.parent)


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
    _rewrite_card(name, card_path, updated)
    write_all()
    return True
