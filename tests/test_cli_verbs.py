"""The CLI names no family: the verbs a family adds and the data it fine-tunes on come from its
artifact class (`cli_verbs`, `finetune_data`), for every registered architecture."""

import collections

import numpy as np

from zoo import registry
from zoo.cli import build_parser
from zoo.language_model import LanguageModel


def _verb_parsers() -> dict:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sub.choices


def test_every_class_verb_is_a_zoo_verb_that_runs_what_it_declares():
    parsers = _verb_parsers()
    for architecture in registry.architectures():
        for verb in getattr(registry.artifact_class(architecture), "cli_verbs", ()):
            for name in (verb.name, *verb.aliases):
                assert parsers[name].get_default("run") == verb.run, (architecture, name)


def test_finetune_has_one_option_per_kind_of_data_naming_its_architectures():
    finetune = _verb_parsers()["finetune"]
    helps = {flag: action.help for action in finetune._actions for flag in action.option_strings}
    for architecture in registry.architectures():
        declared = registry.artifact_class(architecture).finetune_data
        if declared is not None:
            assert declared.what in helps[f"--{declared.keyword}"] and architecture in helps[f"--{declared.keyword}"]
    flags = [flag for action in finetune._actions for flag in action.option_strings]
    assert len(flags) == len(set(flags))


class ToyLanguageModel(LanguageModel):
    """A language model of no registered family: 'a' three times as likely as 'b', always."""

    unit = "character"

    def prompt_state(self, text):
        return 0, None, collections.Counter()

    def next_log_probs(self, state):
        return np.log([0.75, 0.25])

    def advance(self, state, token):
        return state + 1

    def piece(self, previous, token):
        return "ab"[token]

    def token(self, token_id):
        return "ab"[token_id]


def test_the_language_model_verbs_take_any_language_model(cli, monkeypatch, tmp_path):
    from zoo import api

    toy = ToyLanguageModel(None, {"name": "toy", "architecture": "toy-lm"}, tmp_path)
    monkeypatch.setattr(api, "load", lambda name: toy)
    code, out, err = cli("generate", "toy", "--prompt", ">", "--length", "3", "--temperature", "0")
    assert code == 0 and out == ">aaa\n", err
    code, out, err = cli("next", "toy", "", "-k", "2")
    assert code == 0 and out.split() == ["0.7500", "'a'", "0.2500", "'b'"], err
