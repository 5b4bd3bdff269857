"""What ``baclofen-cds serve`` sets up around uvicorn: the metrics directory shared by workers."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

# Seconds in-flight requests get to finish after SIGTERM before uvicorn closes their connections.
GRACEFUL_SHUTDOWN_S = 20
MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def worker_metrics_directory(workers: int) -> Iterator[str | None]:
    """With several workers: a new, empty ``PROMETHEUS_MULTIPROC_DIR`` for them, removed after.

    Set in this process's environment before uvicorn starts the workers, which inherit it and so
    count into files there; counts left by an earlier start would be summed in, hence a new
    directory each time (under ``TMPDIR``: an emptyDir on Kubernetes' read-only root). With one
    process nothing is set up, unless the operator gave the variable, which is then used as is.
    """
    if workers <= 1 or os.environ.get(MULTIPROC_DIR_ENV):
        yield os.environ.get(MULTIPROC_DIR_ENV)
        return
    directory = tempfile.mkdtemp(prefix="baclofen-cds-metrics-")
    os.environ[MULTIPROC_DIR_ENV] = directory
    try:
        yield directory
    finally:
        del os.environ[MULTIPROC_DIR_ENV]
        shutil.rmtree(directory, ignore_errors=True)
