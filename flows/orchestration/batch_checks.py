"""The batch flags checked before anything slow starts (`flows/commands/run.py`'s preflight):
this module loads no part of the pipeline."""

from typing import TYPE_CHECKING

from extractors.endpoint.providers import get_preset
from extractors.errors import RunAbortedError
from flows.options.parameters import RunRequest

if TYPE_CHECKING:
    from flows.options.config import ResolvedRun


def check_batch_request(request: RunRequest, resolved: "ResolvedRun") -> None:
    """RunAbortedError for batch flags that cannot work, before anything slow starts."""
    companions = {"--no-wait": request.no_wait, "--batch-file-only": request.batch_file_only}
    companions["--batch-bucket"] = request.batch_bucket is not None
    if not request.batch:
        given = [flag for flag, on in companions.items() if on]
        if given:
            raise RunAbortedError(f"{given[0]} needs --batch")
        return
    preset = get_preset(resolved.provider)
    if resolved.uses_local_engine:
        raise RunAbortedError("--batch needs a vision endpoint (--provider or --base-url)")
    if preset.batch is None and not request.batch_file_only:
        raise RunAbortedError(
            f"provider {preset.name} has no batch API; --batch-file-only writes the JSONL "
            "for an offline run (vllm run-batch)"
        )
    if preset.batch == "scaleway" and request.batch_bucket is None and not request.batch_file_only:
        raise RunAbortedError("--batch with scaleway needs --batch-bucket s3://bucket/prefix")
    if resolved.extraction.schema.unit != "page":
        raise RunAbortedError("--batch supports per-page schemas (page_text and yours) for now")
    if "://" in request.out:
        raise RunAbortedError("--batch needs a local --out (its batches are recorded there)")
    if request.dask is not None:
        raise RunAbortedError("--batch runs in one process: leave out --dask")
