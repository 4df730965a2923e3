"""A real HTTP batch API for tests: OpenAI's files and batches, Mistral's batch jobs.

``BatchServer`` is a ``ChatServer`` (same prefix, key, answers and faults for chat
completions) that also answers:

- ``POST {prefix}/files`` (multipart: ``purpose=batch``, ``file``) and
  ``GET {prefix}/files/{id}/content``;
- ``POST {prefix}/batches`` ``{input_file_id, endpoint, completion_window}`` and
  ``GET {prefix}/batches/{id}`` (OpenAI);
- ``POST {prefix}/batch/jobs`` ``{input_files, endpoint, model}`` and
  ``GET {prefix}/batch/jobs/{id}`` (Mistral's names and states).

Each GET of a batch moves it one state on (validating, in_progress, finalizing, completed);
on the last one its lines are answered as the chat server answers a request, and the output
file (lines in reverse order) and error file appear. ``line_faults`` ({line index: fault})
and ``expire_after`` (lines run before the batch expires; the rest go to the error file as
``batch_expired``) apply to batches created after they are set. Faults: ``"status:500"`` (a
response with that status, in the error file), ``"error"`` (an error object, no response),
``"drop"`` (the line is in no file), or a chat server answer mangling (``"invalid_json"``,
``"missing"``...). Creating a batch answers 400 for a file of more than ``max_lines`` lines
(50,000), of two models, or of lines without ``POST /v1/chat/completions`` (OpenAI).
``odd_answers`` ({step: [(status, body, headers), ...]}, steps ``upload``, ``create``,
``poll``, ``download``) answers the next calls of a step with exactly these, once each.
"""

from .jobs import BatchJob
from .lines import read_input
from .server import MAX_LINES, BatchServer

__all__ = ["MAX_LINES", "BatchJob", "BatchServer", "read_input"]
