"""Model cards the Hugging Face Hub accepts and displays: the front matter zoo.cards writes, the
offline validator (cards.card_problems), `zoo cards --check`, and the fake Hub's own checks
(tests/hub_server.py), which answer a card the real Hub refuses with a 400.

No Keras here: cards are metadata, and the packaged artifacts are copied, not loaded.
"""

import re
import shutil

import pytest
from huggingface_hub import HfApi, ModelCard

import zoo
from zoo import cards, io, registry
from test_hub import ALICE, server  # noqa: F401  (the fake Hub, with huggingface_hub pointed at it)

SHAKESPEARE = "karpathy/tiny_shakespeare"


def sample(name, architecture, dataset, metrics, tags=(), **extra):
    return {"name": name, "architecture": architecture, "description": f"{name}, a sample.",
            "dataset": {"name": dataset, "split": "a description, not a split name"},
            "metrics": metrics, "card": {"tags": list(tags)}, **extra}


# One config of each kind, with what its front matter must say: pipeline_tag, language, datasets.
SAMPLES = {
    "text LM on tinyshakespeare": (
        sample("charrnn-sample", "charrnn", "tinyshakespeare",
               {"val_loss": 1.43, "val_bits_per_char": 2.06, "parameters": 3318401, "smoke": False,
                "note": "not a number", "diverged": float("nan")},
               tags=["charrnn", "text-generation", "keras"]),
        "text-generation", ["en"], [SHAKESPEARE]),
    "seq2seq on generated data": (
        sample("dates-sample", "seq2seq", "generated dates (zoo.families.seq2seq.dates)",
               {"exact_match": 0.9998, "exact_match[mm/dd/yy]": 0.9967, "test_examples": 5700},
               tags=["seq2seq", "attention"]),
        "text-generation", ["en"], None),
    "perceptron on a truth table": (
        sample("and-sample", "perceptron", "and truth table", {"accuracy": 1.0, "epochs_to_converge": 5},
               tags=["perceptron", "perceptron"]),
        "tabular-classification", None, None),
    "image filter on a sample photograph": (
        sample("filters-sample", "cnn-filters", "grace_hopper.jpg (matplotlib sample data)",
               {"max_abs_error_vs_scipy": 0.000122}, tags=["convolution"]),
        "image-to-image", None, None),
    "fine-tune of a Hub model": (
        sample("nand-again", "mlp-xor", "gate.csv (x1 and not x2 truth table)", {"accuracy": 1.0},
               base_model={"name": "nand", "hub_repo": "alice/nand", "ancestors": ["mlp-xor"]}),
        "tabular-classification", None, None),
    "fine-tune of a zoo artifact": (
        sample("nand", "mlp-xor", "gate.csv (x1 and not x2 truth table)", {"accuracy": 1.0},
               base_model={"name": "mlp-xor", "model_sha256": "0" * 64}),
        "tabular-classification", None, None),
}


def numeric_metrics(config):
    return {k: v for k, v in config["metrics"].items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v}


# ----------------------------------------------------------------------------- front matter


@pytest.mark.parametrize("kind", SAMPLES)
def test_front_matter_of_each_kind(kind):
    config, pipeline_tag, language, datasets = SAMPLES[kind]
    text = cards.front_matter(config)
    assert text.startswith("---\n") and text.endswith("\n---\n")
    meta = ModelCard(text + "\n# card\n").data  # as huggingface_hub (and the Hub) read it
    assert meta.library_name == "keras" and meta.license == "mit"
    assert meta.pipeline_tag == pipeline_tag
    assert meta.language == language
    assert meta.datasets == datasets
    assert meta.tags[:3] == ["keras", "keras-zoo", config["architecture"]]
    assert len(meta.tags) == len(set(meta.tags)), meta.tags
    assert "metrics" not in meta.to_dict()  # the measured values are in model-index instead
    # every numeric metric, and nothing else, with its value, on one task and one dataset
    assert {r.metric_type: r.metric_value for r in meta.eval_results} == numeric_metrics(config)
    assert {(r.task_type, r.dataset_name) for r in meta.eval_results} == {(pipeline_tag, config["dataset"]["name"])}
    [dataset_type] = {r.dataset_type for r in meta.eval_results}
    assert dataset_type == datasets[0] if datasets else re.fullmatch(r"[a-z0-9-]+", dataset_type)
    assert meta.model_name == config["name"]
    assert cards.card_problems(cards.read_front_matter(text)) == []


def test_data_without_a_hub_id_is_described_not_listed():
    config = SAMPLES["image filter on a sample photograph"][0]
    text = cards.render_card(config, "The kernels.")
    assert "datasets" not in ModelCard(text).data.to_dict()
    assert "- name: grace_hopper.jpg (matplotlib sample data)" in text  # the card's Data section
    [result] = ModelCard(text).data.eval_results
    assert result.dataset_type == "grace-hopper-jpg-matplotlib-sample-data"  # id-like, as the Hub asks


def test_a_base_model_is_named_only_when_it_is_a_hub_model():
    from_hub = ModelCard(cards.render_card(SAMPLES["fine-tune of a Hub model"][0], "")).data
    assert (from_hub.base_model, from_hub.base_model_relation) == ("alice/nand", "finetune")

    text = cards.render_card(SAMPLES["fine-tune of a zoo artifact"][0], "")
    from_zoo = ModelCard(text).data.to_dict()
    assert "base_model" not in from_zoo and "base_model_relation" not in from_zoo
    assert "## Fine-tuned from" in text and "**mlp-xor**" in text  # the lineage stays in the text


def test_license_comes_from_the_card_settings():
    config = {**SAMPLES["perceptron on a truth table"][0], "card": {"tags": [], "license": "apache-2.0"}}
    assert ModelCard(cards.front_matter(config) + "x").data.license == "apache-2.0"


# ----------------------------------------------------------------------------- the offline validator


GOOD_RESULT = {"task": {"type": "text-generation"}, "dataset": {"type": SHAKESPEARE, "name": "tinyshakespeare"},
               "metrics": [{"type": "val_loss", "value": 1.43}]}


def model_index(**changes):
    result = {**GOOD_RESULT, **changes}
    return [{"name": "m", "results": [{k: v for k, v in result.items() if v is not None}]}]


@pytest.mark.parametrize("metadata, where", [
    ({"datasets": ["and truth table"]}, "datasets: 'and truth table'"),
    ({"datasets": ["grace_hopper.jpg (matplotlib sample data)"]}, "datasets:"),
    ({"datasets": "tinyshakespeare"}, "datasets: 'tinyshakespeare'"),  # no owner
    ({"base_model": "mlp-xor"}, "base_model: 'mlp-xor'"),
    ({"base_model": ["alice/nand", "alice/bad--name"]}, "base_model: 'alice/bad--name'"),
    ({"base_model": "alice/nand", "base_model_relation": "fine-tuned"}, "base_model_relation"),
    ({"base_model_relation": "finetune"}, "without a base_model"),
    ({"pipeline_tag": "text2text-generation"}, "pipeline_tag"),
    ({"pipeline_tag": "character-level language modelling"}, "pipeline_tag"),
    ({"license": "MIT License"}, "license: 'MIT License'"),
    ({"tags": "keras"}, "tags"),
    ({"tags": ["keras", 3]}, "tags"),
    ({"model-index": {"name": "m"}}, "model-index: must be a list"),
    ({"model-index": [{"name": "m"}]}, "model-index[0]: needs a name and a list of results"),
    ({"model-index": model_index(task={"name": "Text Generation"})}, "results[0].task.type"),
    ({"model-index": model_index(dataset={"type": SHAKESPEARE})}, "results[0].dataset.name"),
    ({"model-index": model_index(dataset={"name": "tinyshakespeare"})}, "results[0].dataset.type"),
    ({"model-index": model_index(metrics=[{"type": "val_loss"}])}, "results[0].metrics[0].value"),
    ({"model-index": model_index(metrics=[{"value": 1.43}])}, "results[0].metrics[0].type"),
    ({"model-index": model_index(metrics=None)}, "results[0].metrics"),
])
def test_card_problems_names_what_the_hub_refuses(metadata, where):
    problems = cards.card_problems({"library_name": "keras", "license": "mit", **metadata})
    assert len(problems) == 1 and where in problems[0] and "\n" not in problems[0], problems


def test_card_problems_passes_a_good_card():
    good = {"library_name": "keras", "license": "mit", "pipeline_tag": "text-generation", "tags": ["keras"],
            "datasets": [SHAKESPEARE], "base_model": "alice/nand", "base_model_relation": "finetune",
            "model-index": model_index()}
    assert cards.card_problems(good) == []


# ----------------------------------------------------------------------------- re-rendering cards


def packaged(name):
    folder = registry.packaged_folder(name)
    return (folder / "README.md").read_text(encoding="utf-8"), io.read_json(folder / "zoo.json")


@pytest.mark.parametrize("name", sorted(registry.artifacts()))
def test_with_front_matter_keeps_the_body_byte_for_byte(name):
    card, config = packaged(name)
    body = card[cards.FRONT_MATTER.match(card).end():]
    rendered = cards.with_front_matter(card, config)
    assert rendered == cards.front_matter(config) + body
    assert cards.with_front_matter(rendered, config) == rendered  # a second pass changes nothing
    assert cards.front_matter_problems(rendered, config) == []
    assert ModelCard(rendered).text == ModelCard(card).text  # the text the Hub shows, unchanged


def test_with_front_matter_puts_it_on_a_card_that_has_none():
    config = SAMPLES["perceptron on a truth table"][0]
    assert cards.with_front_matter("# and\n\nbody\n", config) == cards.front_matter(config) + "# and\n\nbody\n"


@pytest.fixture
def pretrained_copy(tmp_path, monkeypatch):
    """The packaged cards and metadata copied (their generated parts re-rendered) into a folder
    that the registry takes for the weights package, so a test can spoil one without touching
    the real one."""
    root = tmp_path / "pretrained"
    for name in registry.artifacts():
        card, config = packaged(name)
        (root / name).mkdir(parents=True)
        (root / name / "README.md").write_text(cards.refresh_card(card, config), encoding="utf-8")
        io.write_json(root / name / "zoo.json", config)
    monkeypatch.setattr(registry, "WEIGHTS_DIR", root)
    return root


def test_cards_check_reports_a_card_whose_front_matter_is_stale_or_refused(pretrained_copy, cli):
    code, out, err = cli("cards", "--check")
    assert code == 0, err
    assert "front matter is as generated" in out

    card = pretrained_copy / "perceptron-and" / "README.md"
    spoiled = card.read_text(encoding="utf-8").replace(
        "pipeline_tag: tabular-classification\n", "pipeline_tag: tabular-classification\ndatasets:\n- and truth table\n")
    card.write_text(spoiled, encoding="utf-8")
    code, out, err = cli("cards", "--check")
    *listed, last = err.strip().splitlines()
    assert code == 2
    assert any("perceptron-and/README.md: its front matter differs" in line and "(in datasets)" in line
               for line in listed), err
    assert any("perceptron-and/README.md: datasets: 'and truth table' is not a Hub dataset id" in line
               for line in listed), err
    assert last.startswith("zoo: error: 2 problem(s) in the packaged cards")
    assert card.read_text(encoding="utf-8") == spoiled  # reported, not rewritten


# ----------------------------------------------------------------------------- the fake Hub's checks


GOOD_CARD = ("---\nlibrary_name: keras\nlicense: mit\npipeline_tag: text-generation\ntags:\n- keras\n"
             f"datasets:\n- {SHAKESPEARE}\nbase_model: alice/base\nbase_model_relation: finetune\n"
             "model-index:\n- name: m\n  results:\n  - task:\n      type: text-generation\n"
             f"    dataset:\n      type: {SHAKESPEARE}\n      name: tinyshakespeare\n"
             "    metrics:\n    - type: val_loss\n      value: 1.43\n---\n\n# m\n")


def spoil(old, new):
    assert old in GOOD_CARD
    return GOOD_CARD.replace(old, new)


@pytest.mark.parametrize("card, answer", [
    (spoil(f"datasets:\n- {SHAKESPEARE}", "datasets:\n- and truth table"),
     '"datasets[0]" with value "and truth table" is not valid'),
    (spoil(f"datasets:\n- {SHAKESPEARE}", "datasets:\n- grace_hopper.jpg (matplotlib sample data)"),
     '"datasets[0]" with value "grace_hopper.jpg (matplotlib sample data)" is not valid'),
    (spoil("base_model: alice/base", "base_model: mlp-xor"), '"base_model" with value "mlp-xor" is not valid'),
    (spoil("base_model: alice/base", "base_model: alice/no-such-model"), '"base_model" with value'),
    (spoil("license: mit", "license: MIT License"), '"license" must be one of'),
    (spoil("pipeline_tag: text-generation", "pipeline_tag: text2text-generation"), '"pipeline_tag" must be one of'),
    (spoil("    dataset:\n      type: karpathy/tiny_shakespeare\n      name: tinyshakespeare\n",
           "    dataset:\n      type: karpathy/tiny_shakespeare\n"),
     '"model-index[0].results[0].dataset.name" is required'),
    (spoil("      type: text-generation\n    dataset", "      name: Text Generation\n    dataset"),
     '"model-index[0].results[0].task.type" is required'),
    (spoil("    - type: val_loss\n      value: 1.43\n", "    - type: val_loss\n"),
     '"model-index[0].results[0].metrics[0].value" is required'),
])
def test_fake_hub_refuses_a_card_the_hub_refuses(server, card, answer):  # noqa: F811
    """Committed with huggingface_hub's own upload_file, which asks /api/validate-yaml first."""
    api = HfApi(token=ALICE)
    api.create_repo("alice/base")
    with pytest.raises(ValueError, match="Invalid metadata in README.md") as refused:  # the Hub's 400
        api.upload_file(path_or_fileobj=card.encode(), path_in_repo="README.md", repo_id="alice/base")
    assert answer in str(refused.value)
    assert "README.md" not in server.repos["alice/base"].commits[server.resolve("alice/base")]["files"]
    api.upload_file(path_or_fileobj=GOOD_CARD.encode(), path_in_repo="README.md", repo_id="alice/base")
    assert server.file("alice/base", "README.md") == GOOD_CARD.encode()  # the same card, unspoiled: 200


def test_model_card_validate_meets_the_same_checks(server):  # noqa: F811
    HfApi(token=ALICE).create_repo("alice/base")
    assert ModelCard(GOOD_CARD).validate() is None  # 200
    for old, new, answer in [("license: mit", "license: MIT License", '- Error: "license" must be one of'),
                             ("base_model: alice/base", "base_model: mlp-xor", '- Error: "base_model" with value')]:
        with pytest.raises(ValueError, match=re.escape(answer)):  # validate() raises ValueError on a 400
            ModelCard(spoil(old, new)).validate()


def test_fake_hub_takes_every_shipped_card_once_re_rendered(server):  # noqa: F811
    for name in sorted(registry.artifacts()):
        card, config = packaged(name)
        ModelCard(cards.with_front_matter(card, config)).validate()


def publishable(tmp_path, name, card_text):
    """A copy of a packaged artifact whose card is card_text (hashed in zoo.json, as a
    user's edited card would be)."""
    folder = tmp_path / name
    shutil.copytree(registry.packaged_folder(name), folder)
    (folder / "README.md").write_text(card_text, encoding="utf-8")
    config = io.read_json(folder / "zoo.json")
    config["files"]["README.md"] = io.sha256_file(folder / "README.md")
    io.write_json(folder / "zoo.json", config)
    return folder


def test_publish_of_a_card_the_hub_refuses_is_one_line_naming_the_problem(server, tmp_path):  # noqa: F811
    card, config = packaged("perceptron-and")
    good = cards.with_front_matter(card, config)
    bad = good.replace("pipeline_tag: tabular-classification\n",
                       "pipeline_tag: tabular-classification\ndatasets:\n- and truth table\n")
    with pytest.raises(zoo.ZooError) as refused:
        zoo.publish(publishable(tmp_path / "bad", "perceptron-and", bad), repo_id="alice/and")
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith("the Hub refused the model card (README.md) of alice/and: ")
    assert '"datasets[0]" with value "and truth table" is not valid' in message
    assert "README.md" not in server.repos["alice/and"].commits[server.resolve("alice/and")]["files"]

    zoo.publish(publishable(tmp_path / "good", "perceptron-and", good), repo_id="alice/and")
    assert server.file("alice/and", "README.md").decode("utf-8") == good


def test_the_commit_is_checked_too_and_its_400_is_one_line(server, tmp_path, monkeypatch):  # noqa: F811
    """A client that skips /api/validate-yaml still meets the Hub's check when it commits."""
    monkeypatch.setattr(HfApi, "_validate_yaml", lambda self, content, **kwargs: None)
    card, config = packaged("mlp-xor")
    bad = cards.with_front_matter(card, config).replace("license: mit\n", "license: MIT License\n")
    with pytest.raises(zoo.ZooError) as refused:
        zoo.publish(publishable(tmp_path, "mlp-xor", bad), repo_id="alice/xor")
    message = str(refused.value)
    assert "\n" not in message and message.startswith("the Hub refused the model card (README.md) of alice/xor: ")
    assert '"license" must be one of' in message
    assert "README.md" not in server.repos["alice/xor"].commits[server.resolve("alice/xor")]["files"]
