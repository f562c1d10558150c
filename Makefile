# Fresh machine: `make outputs` (set up, then regenerate every report) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: setup outputs test bench lab lock clean train-sentiment

setup: $(STAMP)

# The venv is rebuilt from the pinned lock whenever the lock or pyproject.toml changes. The notebooks' kernel
# "newslens" is registered inside the venv (--sys-prefix: nothing written to the home folder, one per clone).
$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(PY) -m ipykernel install --sys-prefix --name newslens --display-name "Python (newslens)" >/dev/null
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

outputs: setup
	$(PY) -m newslens run --corpus seeds --out outputs

test: setup
	$(PY) -m pytest

bench: setup
	$(PY) benchmarks/bench_outputs.py
	$(PY) benchmarks/bench_frequency.py
	$(PY) benchmarks/bench_sentiment.py
	$(PY) benchmarks/bench_timex.py
	$(PY) benchmarks/bench_dates.py
	$(PY) benchmarks/bench_actors.py
	$(PY) benchmarks/bench_attribution.py
	$(PY) benchmarks/bench_vocabulary.py
	$(PY) benchmarks/bench_parallel.py
	$(PY) benchmarks/bench_pipeline.py

# Development step: rebuild the shipped sentiment encoder (lib/newslens/data/target_encoder.*) from NewsMTSC in
# ../shared. Installs the training extra (torch, transformers) into the venv; about 25 minutes on 2 cores.
train-sentiment: setup
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock -r requirements-train.lock
	$(PY) -m newslens.train_encoder

lab: setup
	$(VENV)/bin/jupyter lab notebooks

# After changing dependencies in pyproject.toml (and environment.yml): re-resolve and pin.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip setuptools wheel
	.lock-venv/bin/pip install --quiet -e .
	.lock-venv/bin/pip freeze --all --exclude-editable | grep -v '^newslens' > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .pytest_cache
