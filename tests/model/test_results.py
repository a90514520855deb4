"""Every result of the model layer is frozen, read-only, independent of its inputs and readable.

One generic check over every result type (scikit-learn's ``parametrize_with_checks`` is the
model): a new result type adds one builder to BUILDERS, and the completeness test fails until
it does.
"""

import dataclasses
import importlib
import inspect

import numpy as np
import pandas as pd
import pytest

import shrinkviz as sv
from shrinkviz.model.forest import forest
from shrinkviz.model.frames import group_summaries
from shrinkviz.model.james_stein import james_stein


def _arrays():
    """Fresh, writable inputs for one call: y, v (with a group without data), x, group."""
    rng = np.random.default_rng(0)
    group = np.repeat(np.array(["a", "b", "c", "d", "e"], dtype=object), [3, 4, 2, 5, 3])
    x = rng.integers(0, 3, len(group)).astype(float)
    return {
        "y": np.array([1.0, 2.5, -0.5, 4.0, 0.3]),
        "v": np.array([1.0, 2.0, 0.5, 1.5, 3.0]),
        "v_inf": np.array([1.0, 2.0, np.inf, 1.5, 3.0]),
        "x": x,
        "yy": 1.0 + 0.5 * x + rng.normal(0, 1, len(group)),
        "group": group,
        "n": np.array([2, 4, 0, 3, 1]),
        "df": pd.DataFrame({"y": rng.normal(0, 1, 12), "g": list("aabbbccddeee")}),
        "events": np.array([3.0, 0.0, 5.0, 2.0, 7.0]),
        "sizes": np.array([20.0, 15.0, 30.0, 12.0, 25.0]),
    }


def _slopes(a):
    return sv.pooling_fit(a["x"], a["yy"], a["group"], slopes=True, Sigma=np.eye(2))


def _effects(a):
    return sv.effect_sizes(
        "OR", ai=a["events"], n1i=a["sizes"], ci=a["events"][::-1], n2i=a["sizes"][::-1]
    )


def _pooling(a):
    return sv.pooling_fit(a["x"], a["yy"], a["group"]).update(n=a["n"])


# name -> (builder taking the inputs, the names of the inputs it uses)
BUILDERS = {
    "Posterior": (lambda a: sv.posterior(a["y"], a["v_inf"], 2.0), ("y", "v_inf")),
    "FullBayes": (lambda a: sv.full_bayes(a["y"], a["v_inf"], "half-cauchy", 1.0), ("y", "v_inf")),
    "MetaAnalysis": (lambda a: sv.meta_analysis(a["y"], a["v"], "REML", "knha"), ("y", "v")),
    "Blup": (lambda a: sv.meta_analysis(a["y"], a["v"]).blup(), ("y", "v")),
    "PoolingFit": (lambda a: _pooling(a), ("x", "yy", "group", "n")),
    "CompletePooling": (lambda a: _pooling(a).complete_pooling, ("x", "yy", "group", "n")),
    "NoPooling": (lambda a: _pooling(a).no_pooling, ("x", "yy", "group", "n")),
    "PartialPooling": (lambda a: _pooling(a).partial_pooling, ("x", "yy", "group", "n")),
    "GroupSummaries": (lambda a: group_summaries(a["df"], y="y", group="g"), ("df",)),
    "JamesStein": (lambda a: james_stein(a["y"], 1.0), ("y",)),
    "LeaveOneOut": (lambda a: sv.meta_analysis(a["y"], a["v"]).leave1out(), ("y", "v")),
    "SlopesFit": (_slopes, ("x", "yy", "group")),
    "SlopesNoPooling": (lambda a: _slopes(a).no_pooling, ("x", "yy", "group")),
    "SlopesPartialPooling": (lambda a: _slopes(a).partial_pooling, ("x", "yy", "group")),
    "EffectSizes": (_effects, ("events", "sizes")),
    "BetaBinomial": (lambda a: sv.beta_binomial(a["events"], a["sizes"]), ("events", "sizes")),
    "GammaPoisson": (lambda a: sv.gamma_poisson(a["events"], a["sizes"]), ("events", "sizes")),
    "FullBayesBinomial": (
        lambda a: sv.full_bayes_binomial(a["events"], a["sizes"]),
        ("events", "sizes"),
    ),
    "Forest": (lambda a: forest(a["y"], a["v"], left_out=[1], method="DL"), ("y", "v")),
}
# the modules whose public frozen dataclasses must all have a builder (a new family adds its
# module here with its builders)
MODULES = (
    "normal",
    "full_bayes",
    "meta",
    "regression",
    "slopes",
    "frames",
    "james_stein",
    "effect_sizes",
    "counts",
    "full_bayes_counts",
    "forest",
)


def _snapshot(value):
    return value.copy(deep=True) if isinstance(value, pd.DataFrame) else value.copy()


def _arrays_of(result, seen=None):
    """Every numpy array held by the result and the result objects inside it."""
    seen = set() if seen is None else seen
    if id(result) in seen:
        return
    seen.add(id(result))
    for f in dataclasses.fields(result):
        value = getattr(result, f.name)
        if isinstance(value, np.ndarray):
            yield f"{type(result).__name__}.{f.name}", value
        elif dataclasses.is_dataclass(value):
            yield from _arrays_of(value, seen)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_result_is_frozen_readonly_independent_and_readable(name):
    build, used = BUILDERS[name]
    inputs = _arrays()
    before = {k: _snapshot(inputs[k]) for k in used}
    result = build(inputs)
    assert type(result).__name__ == name
    # the inputs are untouched
    for k in used:
        if isinstance(before[k], pd.DataFrame):
            pd.testing.assert_frame_equal(inputs[k], before[k])
        else:
            assert np.array_equal(inputs[k], before[k]), k
    # frozen: no field can be set
    params = dataclasses.fields(result)
    for f in params:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(result, f.name, None)
    # read-only: no array the result holds can be written
    arrays = list(_arrays_of(result))
    for where, arr in arrays:
        assert not arr.flags.writeable, where
    # independent: writing to the caller's inputs changes nothing in the result
    kept = [(where, arr.copy()) for where, arr in arrays]
    for k in used:
        if isinstance(inputs[k], np.ndarray) and inputs[k].dtype.kind == "f":
            inputs[k][:] = 99.0
        elif isinstance(inputs[k], pd.DataFrame):
            inputs[k]["y"] = 99.0
    for (where, arr), (_, copy) in zip(arrays, kept, strict=True):
        assert np.array_equal(arr, copy, equal_nan=arr.dtype.kind == "f"), where
    # readable: the class name and the numbers, no numpy noise
    text = repr(result)
    assert text.startswith(f"{name}(") and any(f"{p.name}=" in text for p in params)
    assert "array(" not in text and "dtype" not in text and len(text) < 2000


def test_every_result_type_has_a_builder():
    missing = []
    for module in MODULES:
        mod = importlib.import_module(f"shrinkviz.model.{module}")
        for cls_name, cls in inspect.getmembers(mod, inspect.isclass):
            if (
                cls.__module__ == mod.__name__
                and dataclasses.is_dataclass(cls)
                and not cls_name.startswith("_")
                and cls_name not in BUILDERS
            ):
                missing.append(f"{module}.{cls_name}")
    assert not missing, f"result types without a builder in BUILDERS: {missing}"
