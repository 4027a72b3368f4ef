"""modgap_edu._runtime.threads: the fixed thread policy (issue 14) and the context that applies it."""

from __future__ import annotations

import os

import pytest
import torch
from threadpoolctl import threadpool_info

from modgap_edu._runtime import threads


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv(threads.THREADS_ENV, raising=False)


def test_policy_is_fixed_not_the_machine_load(monkeypatch):
    assert threads.training_threads() == threads.TRAINING_THREADS == 2
    monkeypatch.setattr(os, "getloadavg", lambda: (99.0, 99.0, 99.0))  # a "busy" machine changes nothing
    assert threads.training_threads() == 2
    assert not hasattr(threads, "busy_cores") and not hasattr(threads, "auto_threads")


def test_env_var_and_explicit_argument_override(monkeypatch):
    monkeypatch.setenv(threads.THREADS_ENV, "1")
    assert threads.training_threads() == 1
    assert threads.training_threads(3) == 3  # the argument wins over the environment
    monkeypatch.setenv(threads.THREADS_ENV, " 4 ")
    assert threads.training_threads() == 4


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_bad_env_var_names_it(monkeypatch, value):
    monkeypatch.setenv(threads.THREADS_ENV, value)
    with pytest.raises(ValueError, match="MODGAP_THREADS must be a positive integer"):
        threads.training_threads()


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "2", "auto"])
def test_bad_argument_names_it(value):
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        threads.training_threads(value)


def _blas_threads() -> set:
    return {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}


@pytest.mark.parametrize("target", [1, 3])
def test_limited_threads_applies_and_restores(monkeypatch, target):
    import numpy  # noqa: F401  (its BLAS is one of the pools)

    monkeypatch.setenv(threads.THREADS_ENV, "2")
    before_torch = torch.get_num_threads()
    before_pools = {p["filepath"]: p["num_threads"] for p in threadpool_info()}
    with threads.limited_threads(target) as n:
        assert n == target and torch.get_num_threads() == target  # the explicit count is torch's
        assert _blas_threads() == {2}  # numpy's BLAS keeps the policy's count
    assert torch.get_num_threads() == before_torch
    assert {p["filepath"]: p["num_threads"] for p in threadpool_info()} == before_pools
    monkeypatch.setenv(threads.THREADS_ENV, "1")
    with threads.limited_threads():
        assert torch.get_num_threads() == 1 and _blas_threads() == {1}


def test_limited_threads_restores_after_an_error():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError, match="boom"):
        with threads.limited_threads(1 if before != 1 else 2):
            raise RuntimeError("boom")
    assert torch.get_num_threads() == before
