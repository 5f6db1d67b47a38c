# `make run` opens the app; `make test` runs the tests. Both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test check bench clean

$(STAMP): pyproject.toml constraints.txt Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -c constraints.txt -e '.[dev,onnx]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) main.py

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

check: $(STAMP)
	$(PY) main.py check resources/examples/lenet5.json

bench: $(STAMP)
	$(PY) benchmarks/shapes.py
	$(PY) benchmarks/load.py
	$(PY) benchmarks/canvas.py
	$(PY) benchmarks/train_overhead.py
	$(PY) benchmarks/live_overhead.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
