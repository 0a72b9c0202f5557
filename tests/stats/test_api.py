"""One API (issue 13): `pipeline.stats` exports every public method with a one-line doc;
every estimate is an `Estimate`, every test a `Test`; the compare stage and the notebooks
call the statistics through this API only."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import json
import pkgutil
import pydoc
import typing
from pathlib import Path

import pytest

from pipeline import stats
from pipeline.stats.results import Estimate, Test

ROOT = Path(__file__).resolve().parents[2]

# Public names of the method modules deliberately not exported (the stats docstring says why).
INTERNAL = {
    "proportions.check_counts", "proportions.check_confidence",
    "regression.fit_logistic", "regression.LogisticFit",
    "did.WildClusterBootstrap", "did.wild_cluster_bootstrap_p", "did.cluster_weight_draws",
    "did.inverted_test_bound",
}

# Fits: one call, several results, each field an Estimate or a Test (or tables beside them).
FITS = {
    "AdditiveInteractionResult", "AdjustedEffects", "CoxResult", "DidResult",
    "DiscreteTimeResult", "EventStudyResult", "IPTWResult", "LogisticDidResult",
    "MetaAnalysis", "OverdispersionCheck", "ProportionComparison", "TripleDifferenceResult",
}
# Returned types that are neither an estimate nor a test, and why:
OTHER_RESULTS = {
    # curves and their tables
    "KaplanMeierResult", "TurnbullResult",
    # data a method makes for the next one (weights, imputed copies)
    "WeightDiagnostics", "ImputedCovariates",
    # planning figures, computed before there are data
    "SampleSize", "DetectableDifference", "SimulatedPower", "DetectableClusterDifference",
    "AreasNeeded", "IccEstimate",
    # monitoring charts: points or units against control limits, and the limits themselves
    "PChart", "FunnelLimits", "Funnel",
}


def _method_modules() -> list[str]:
    return [m.name for m in pkgutil.iter_modules(stats.__path__) if not m.name.startswith("_")]


def _public(module_name: str) -> dict[str, object]:
    module = importlib.import_module(f"pipeline.stats.{module_name}")
    return {name: obj for name, obj in vars(module).items()
            if not name.startswith("_") and getattr(obj, "__module__", None) == module.__name__
            and (inspect.isfunction(obj) or inspect.isclass(obj))}


def test_every_exported_name_resolves() -> None:
    assert stats.__all__ == sorted(set(stats.__all__))
    for name in stats.__all__:
        assert getattr(stats, name) is not None
    with pytest.raises(AttributeError):
        stats.no_such_method  # noqa: B018


def test_every_public_function_and_type_is_exported_or_internal() -> None:
    missing = []
    for module_name in _method_modules():
        for name, obj in _public(module_name).items():
            if f"{module_name}.{name}" in INTERNAL:
                assert name not in stats.__all__
                continue
            if name not in stats.__all__ or getattr(stats, name) is not obj:
                missing.append(f"{module_name}.{name}")
    assert missing == []


def test_help_lists_every_exported_name_with_its_first_docstring_line() -> None:
    text = pydoc.render_doc(stats, renderer=pydoc.plaintext)
    doc = " ".join(stats.__doc__.split())
    for name in stats.__all__:
        assert name in text
        obj = getattr(stats, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            first = inspect.getdoc(obj).splitlines()[0]
            assert f"{name}: {first}" in doc, name


def test_every_exported_method_returns_an_estimate_a_test_or_a_declared_type() -> None:
    """A return type defined in pipeline.stats is Estimate, Test, a fit or a declared other."""
    unexpected = []
    for name in stats.__all__:
        obj = getattr(stats, name)
        if not inspect.isfunction(obj):
            continue
        returned = typing.get_type_hints(obj).get("return")
        for kind in (typing.get_args(returned) or (returned,)):
            if not (inspect.isclass(kind) and kind.__module__.startswith("pipeline.stats")):
                continue  # floats, arrays, frames, None
            if kind in (Estimate, Test) or kind.__name__ in FITS | OTHER_RESULTS:
                continue
            unexpected.append(f"{name} -> {kind.__name__}")
    assert unexpected == []


def test_every_test_returns_the_one_test_type() -> None:
    tests = [name for name in stats.__all__ if name.endswith("_test")
             or name in ("randomisation_inference", "arm_randomisation", "placebo_p")]
    assert {"association_test", "fisher_exact_test", "log_rank_test", "interaction_test",
            "cox_likelihood_ratio_test", "proportional_hazards_test"} <= set(tests)
    for name in tests:
        assert typing.get_type_hints(getattr(stats, name))["return"] is Test, name


def test_fits_hold_estimates_and_tests() -> None:
    for name in FITS:
        hints = typing.get_type_hints(getattr(stats, name))
        held = {kind for hint in hints.values() for kind in (typing.get_args(hint) or (hint,))}
        assert held & {Estimate, Test}, name
        fields = {f.name for f in dataclasses.fields(getattr(stats, name))}
        assert fields, name


def test_one_test_type_reads_like_an_estimate() -> None:
    test = Test(9.091, 1, None, 0.00257, "pearson_chi_square", reference="chi2", n=100)
    assert test.estimable and test.chi_square == 9.091
    assert test.to_row(indicator="x")["statistic"] == 9.091
    blank = Test.not_estimable("log_rank", "no events in any group", reference="chi2", n=4)
    assert not blank.estimable and blank.summary().endswith("no events in any group")
    with pytest.raises(ValueError, match="no p-value and no reason"):
        Test(1.0, 1, None, None, "wald", reference="F")
    with pytest.raises(ValueError, match="unknown reference"):
        Test(1.0, 1, None, 0.3, "wald", reference="t")
    with pytest.raises(ValueError, match="statistic is inf"):
        Test(float("inf"), 1, None, 0.0, "wald", reference="F")
    # F(q, inf) is chi-square(q) / q: its chi-square is q F
    assert Test(2.0, 2, None, 0.135, "wald", reference="F").chi_square == 4.0
    assert Test(2.0, 2, 10, 0.19, "wald", reference="F").chi_square is None


def _stats_imports(tree: ast.AST) -> list[tuple[str, str]]:
    """(module, name) of every `from pipeline.stats… import name` and `import pipeline.stats.…`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and (
                node.module == "pipeline.stats" or node.module.startswith("pipeline.stats.")):
            found += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names
                      if alias.name.startswith("pipeline.stats.")]
    return found


def test_compare_stage_and_followup_parts_use_only_the_api() -> None:
    outside = []
    for path in sorted([*(ROOT / "pipeline" / "stages" / "compare").glob("*.py"),
                        *(ROOT / "pipeline" / "followup").glob("*.py")]):
        for module, name in _stats_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if module != "pipeline.stats" or name not in stats.__all__:
                outside.append(f"{path.name}: {module} {name}")
    assert outside == []


def test_notebooks_use_only_the_api() -> None:
    outside = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            try:
                tree = ast.parse(source)
            except SyntaxError:  # IPython magics
                tree = ast.parse("\n".join(line for line in source.splitlines()
                                           if not line.lstrip().startswith(("%", "!"))))
            for module, name in _stats_imports(tree):
                if module != "pipeline.stats" or name not in stats.__all__:
                    outside.append(f"{path.name}: {module} {name}")
    assert outside == []
