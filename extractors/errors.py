"""Typed failures of the stages; each says whether it is worth trying again."""


class VisionbatchError(Exception):
    """Base of every error the stages raise on purpose."""


class SourceError(VisionbatchError):
    """The input cannot be read as a document (corrupt, encrypted, unsupported): not retried."""


class PageDoesNotFitError(VisionbatchError):
    """A page cannot be made to fit the model's context, even downscaled."""


class EndpointFailedError(VisionbatchError):
    """A request ended without an answer; its pages become error rows of `category`.

    `category` is an `ErrorCategory` value of schemas/page_row.py (`endpoint` unless a
    subclass says otherwise).
    """

    category = "endpoint"

    def __init__(self, message: str, attempts: int = 1) -> None:
        super().__init__(message)
        self.attempts = attempts


class TransientEndpointError(EndpointFailedError):
    """The endpoint failed in a way that may pass (429, 5xx, timeout, reset): retried, and
    raised once the attempts are spent."""


class AnswerTooLargeError(EndpointFailedError):
    """The answer is larger than `--max-answer-mb`: not retried, an `answer` error."""

    category = "answer"


class RetryLaterError(VisionbatchError):
    """One attempt failed transiently and attempts are left: try again after `wait` seconds."""

    def __init__(
        self, message: str, wait: float, *, throttled: bool, run_wide: bool = False
    ) -> None:
        super().__init__(message)
        self.wait = wait
        self.throttled = throttled  # a 429: evidence for lowering the in-flight count
        # The wait is a rate limit's that every request counts against (a gateway's own, a
        # reset time): the whole run holds until then, not only this request.
        self.run_wide = run_wide


class OutgrownRequestError(VisionbatchError):
    """A request planned before the endpoint revealed a tighter limit: re-plan it, don't send it."""


class RequestRejectedError(EndpointFailedError):
    """The endpoint refused the request as malformed or too large (400, 413, 422)."""

    def __init__(self, message: str, status_code: int, attempts: int = 1) -> None:
        super().__init__(message, attempts)
        self.status_code = status_code


class RunAbortedError(VisionbatchError):
    """The run cannot go on at all; the CLI turns it into a one-line reason and a non-zero exit."""


class FatalEndpointError(RunAbortedError):
    """Authentication refused, or the endpoint unreachable after retries."""


class OutputNotWritableError(RunAbortedError):
    """The output directory cannot be written."""


class OutputLockedError(RunAbortedError):
    """Another run is writing to the same output directory."""


class AnswerError(VisionbatchError):
    """An answer could not be parsed or matched to its pages: re-asked."""


class ReportError(VisionbatchError, ValueError):
    """An output directory cannot be reported on: missing, without part files, or unreadable."""


class PriceFileError(VisionbatchError, ValueError):
    """A --prices file is unreadable or invalid; the message names the file and the entry."""


class OutputFullError(RunAbortedError):
    """The disk (or quota) under the output directory is full: what was written is kept."""


class BatchApiError(RunAbortedError):
    """A provider's batch API refused or failed a call (upload, create, status, download)."""
