"""The captioning tests' shared fixture: a captioner trained by the recipe in smoke mode (a few
seconds; tiny, barely trained), made once per session, for the tests that must not depend on
how good the registered weights are."""

import pytest

import zoo


@pytest.fixture(scope="session")
def smoke_artifact(tmp_path_factory):
    return zoo.train("captioner-shapes", out=tmp_path_factory.mktemp("cap") / "captioner", smoke=True)
