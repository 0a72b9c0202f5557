"""The docstring examples of pipeline/stats run and print what they say: the README offers these
functions to researchers in notebooks, so the examples must not rot."""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil

import pytest

import pipeline.stats

MODULES = sorted(info.name for info in pkgutil.iter_modules(pipeline.stats.__path__))


def _public(module: object) -> list[tuple[str, object]]:
    """Functions and classes defined in the module whose names do not start with '_'."""
    return [(name, value) for name, value in vars(module).items()
            if not name.startswith("_") and (inspect.isfunction(value) or inspect.isclass(value))
            and value.__module__ == module.__name__]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(f"pipeline.stats.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
    if _public(module):
        assert result.attempted > 0, f"no docstring examples in pipeline.stats.{name}"


@pytest.mark.parametrize("name", MODULES)
def test_public_functions_and_classes_are_documented(name):
    """numpydoc sections: Examples everywhere; Parameters and Returns where a function has them."""
    module = importlib.import_module(f"pipeline.stats.{name}")
    missing = []
    for label, value in _public(module):
        doc = inspect.getdoc(value) or ""
        wanted = ["Examples\n--------", ">>> "]
        if inspect.isfunction(value):
            signature = inspect.signature(value)
            if signature.parameters:
                wanted.append("Parameters\n----------")
            if signature.return_annotation not in ("None", None):
                wanted.append("Returns\n-------")
        missing += [f"{label}: {section.splitlines()[0]}" for section in wanted if section not in doc]
    assert not missing, f"pipeline.stats.{name} lacks " + "; ".join(missing)
