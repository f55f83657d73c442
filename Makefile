# The two commands of the README. Both set up .venv first (once; again when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test setup wheel-check

setup: $(STAMP)

$(STAMP): pyproject.toml
	@echo "==> creating the virtual environment $(VENV) (Python: $$($(PYTHON) --version))"
	$(PYTHON) -m venv $(VENV)
	@echo "==> installing keras-zoo and its dependencies (TensorFlow, Keras, JAX, gensim, ...: a few minutes the first time)"
	$(VENV)/bin/pip install --upgrade --progress-bar on pip
	$(VENV)/bin/pip install --progress-bar on -e '.[test]'
	touch $(STAMP)
	@echo "==> ready: $(VENV)/bin/zoo"

demo: $(STAMP)
	$(VENV)/bin/zoo demo

# Datasets: tinyshakespeare ships in the package (zoo/reference_data/); CI points $ZOO_DATA_MIRROR
# at ../shared/data (.ci/run). The tests never download anything.
test: $(STAMP)
	@echo "==> running the tests (about 10 minutes on 2 cores, two workers; 13 to 16 next to a busy process; offline)"
	$(VENV)/bin/python -m pytest -q -n 2 --dist loadfile

# The installed product: build the wheel, install it (not editable) in a fresh environment, and
# use it from a folder outside the repository (CI runs this after the tests).
wheel-check: $(STAMP)
	bash .ci/wheel-check
