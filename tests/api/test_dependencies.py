"""The parts routes ask for are handed over without a thread hop."""

from __future__ import annotations

import inspect
from typing import get_args

from service.api import dependencies


def test_every_part_is_provided_by_a_coroutine() -> None:
    # FastAPI runs a plain ``def`` dependency on a worker thread: on the hooks route that was
    # three thread hops per request for three attribute reads.
    aliases = [getattr(dependencies, name) for name in dependencies.__all__ if name.endswith("Dep")]
    providers = [get_args(alias)[1].dependency for alias in aliases]
    assert providers, "no dependency aliases found"
    plain = [p.__name__ for p in providers if not inspect.iscoroutinefunction(p)]
    assert not plain, f"run on a worker thread by FastAPI: {plain}"
