"""Every registered architecture's artifact class declares the hooks the shared machinery looks
up (zoo/hooks.py), and each names code that exists: walked over the registry, as timm's tests
walk `list_models()`. A new family that forgets one fails here, not in a user's `zoo serve`."""

import inspect
import subprocess
import sys

import pytest
from pydantic import BaseModel

from zoo import registry
from zoo.artifacts import Artifact
from zoo.hooks import DemoSection, FinetuneData, Task, Verb
from zoo.schemas import Metadata

ARCHITECTURES = sorted(registry.architectures())


def names_code(dotted: str) -> bool:
    return callable(registry.resolve(dotted))


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_the_class_declares_its_tasks(architecture):
    cls = registry.artifact_class(architecture)
    assert issubclass(cls, Artifact)
    assert cls.tasks and all(isinstance(task, Task) for task in cls.tasks), f"{cls.__name__} serves no task"
    for task in cls.tasks:
        assert names_code(task.run)
        assert len(inspect.signature(registry.resolve(task.run)).parameters) == 3  # (served, request, http)
        assert task.request is None or issubclass(registry.resolve(task.request), BaseModel)
    assert len({task.name for task in cls.tasks}) == len(cls.tasks)


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_the_class_declares_its_data_schema_export_and_demo(architecture):
    cls = registry.artifact_class(architecture)
    assert isinstance(cls.finetune_data, FinetuneData), f"{cls.__name__} names no fine-tuning data"
    assert cls.finetune_data.usage().startswith(f"--{cls.finetune_data.keyword} ")
    assert issubclass(registry.resolve(cls.config_schema), Metadata)
    assert callable(cls.export_plan)
    assert isinstance(cls.demo_section, DemoSection) and names_code(cls.demo_section.run)


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_the_class_verbs_name_their_code(architecture):
    cls = registry.artifact_class(architecture)
    assert all(isinstance(verb, Verb) and names_code(verb.run) for verb in cls.cli_verbs)


def test_reading_every_class_hooks_imports_no_backend():
    """`zoo --help` reads every class's verbs: the classes' modules are light."""
    probe = ("import sys; from zoo import registry\n"
             "for a in registry.architectures(): registry.artifact_class(a).cli_verbs\n"
             "print([m for m in ('keras', 'tensorflow', 'jax', 'gensim', 'matplotlib') if m in sys.modules])")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert run.stdout.strip() == "[]", run.stderr
