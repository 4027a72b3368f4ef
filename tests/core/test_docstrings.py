"""The style contract of the core API: every public function of ``modgap_edu.core`` documents its
arguments and result in numpydoc form (``Parameters`` and ``Returns`` sections, issue 10 §5)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import modgap_edu.core


def public_functions():
    for info in pkgutil.iter_modules(modgap_edu.core.__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"modgap_edu.core.{info.name}")
        for name, obj in vars(mod).items():
            if not name.startswith("_") and inspect.isfunction(obj) and obj.__module__ == mod.__name__:
                yield f"{info.name}.{name}", obj


FUNCTIONS = dict(public_functions())


def test_the_core_api_is_found():
    assert {"metrics.rmg", "losses.clip_loss", "validation.integer", "dimensions.pca"} <= set(FUNCTIONS)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_public_core_function_has_numpydoc_sections(name):
    doc = inspect.getdoc(FUNCTIONS[name]) or ""
    params = [p for p in inspect.signature(FUNCTIONS[name]).parameters if p not in ("self", "cls")]
    assert "Returns\n-------" in doc or "Yields\n------" in doc, f"{name}: no numpydoc Returns section"
    if params:
        assert "Parameters\n----------" in doc, f"{name}: no numpydoc Parameters section"
