"""Names of a package that load on first use (PEP 562), so that a kernel imports only what it
shows: a student's kernel on a class hub holds one explorer family, not every family's
solvers and figures (tests/test_layers.py)."""

from __future__ import annotations

import importlib


def lazy(package: str, names: dict[str, str]):
    """``__getattr__`` and ``__all__`` for ``package``: ``names`` maps each public name to the
    module that defines it, relative to the package (``{"ShrinkageView": ".shrinkage"}``)."""

    def __getattr__(name: str):
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(names[name], package), name)
        setattr(importlib.import_module(package), name, value)
        return value

    return __getattr__, sorted(names)
