# Two commands do all set-up on a fresh machine with Python 3.11 and make:
#   make demo   install into .venv if needed, run the pipeline on a synthetic study
#   make test   install into .venv if needed, run the test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install lint clean-outputs

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/hembesok demo

# Two workers (CI has two cores), each test file on one worker so that a file's fixtures are
# built once: about 9 minutes instead of 15 on a 2-core machine.
test: $(STAMP)
	$(BIN)/python -m pytest -n auto --maxprocesses=4 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check pipeline tests

clean-outputs:
	rm -rf data_clean/*/ outputs/*/ data_raw/demo
