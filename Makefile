# Two commands set everything up on a fresh machine:
#   make demo   create .venv, install kanlab, run `kanlab train` (the main job)
#   make test   create .venv, install kanlab with its test extras, run pytest
#   make docs   create .venv likewise, build the documentation site into site/
#               (mkdocs build --strict: any warning fails the build)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The CPU wheel of torch is pinned here so pip never pulls a multi-GB CUDA build;
# pyproject.toml itself accepts any torch>=2.13.
TORCH ?= torch==2.13.0

.PHONY: demo test docs bench venv clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH)"
	$(PY) -m pip install --quiet -e ".[dev,docs]"
	# build the C++ kernels once now (about a minute) rather than inside the first run
	$(PY) -c "import kanlab.ops._extension as e; e.ops()"
	touch $@

venv: $(VENV)/.installed

demo: venv
	$(VENV)/bin/kanlab train --out runs/demo --overwrite

test: venv
	$(PY) -m pytest -q

docs: venv
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

bench: venv
	$(PY) -m pip install --quiet --no-deps pykan==0.2.8 inkan==0.5.2
	$(PY) -m pip install --quiet pandas pyyaml scikit-learn
	$(PY) benchmarks/run.py --out benchmarks/results

clean:
	rm -rf $(VENV) site runs .pytest_cache .hypothesis build src/*.egg-info
