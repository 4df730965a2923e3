"""`dask worker --preload` of the tests' cluster: what a shard imports, imported as the worker
starts, so that the first shard of a test does not pay for it (Prefect, the extractors)."""

import importlib

# What the first shard on a worker imported that a bare worker had not (its `sys.modules`
# compared before and after a run): Prefect, the extractors, PyMuPDF, Polars... come with the
# shard task's module; the endpoint client's HTTP stack is imported when a session opens.
SHARD_IMPORTS = ("flows.orchestration.dask_shards", "openai", "httpcore2", "truststore")


def dask_setup(worker: object) -> None:
    """Import what a shard needs before the worker registers with the scheduler."""
    for name in SHARD_IMPORTS:
        importlib.import_module(name)
