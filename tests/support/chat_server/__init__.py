"""A real HTTP/1.1 OpenAI-compatible vision chat-completions server for tests.

``ChatServer`` listens on 127.0.0.1 (ephemeral port) in a background thread and answers
``POST {prefix}/chat/completions`` by "reading" each image's marker bands (see ``markers.py``)::

    with ChatServer(latency=0.3) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0)

The answer content is ``{"pages": [{"image": i, "text": ...}, ...]}``, one item per image in
request order, ``text`` being ``expected_text(value)`` for a marked image and
``"unmarked image WxH"`` otherwise.

Faults (one per request): ``server.inject(*faults)`` queues one-shot faults consumed FIFO by the
next chat requests; otherwise ``fault_rates`` (``{spec: probability}``) draws one at random per
request from ``random.Random(seed)``. A fault is a ``Fault`` or its string spec:

- ``status(code, retry_after=None, retry_after_ms=None, message=None)`` / ``"status:503"``:
  answer ``code`` with OpenAI-style error JSON, plus ``Retry-After`` / ``retry-after-ms``.
- ``hang(seconds)`` / ``"hang:2.5"``: sleep that long (on top of ``latency``), then answer
  normally; interrupted when the client disconnects or the server stops.
- ``reset()`` / ``"reset"``: read the request, then close the socket with SO_LINGER 0 (RST).
- a hostile endpoint (``hostile.py``): ``trickle(seconds_per_byte)``, ``redirect(location)``,
  ``raw(body, content_type)``, ``gzip_bomb(inflated_bytes)``, ``usage(**figures)``.
- answer mangling, HTTP 200 with bad content (``mangle(kind)`` or the bare kind string):
  ``invalid_json`` (cut-off garbage), ``truncated`` (proper JSON cut at 60%,
  ``finish_reason: "length"``), ``fenced`` (wrapped in a json code fence), ``shuffled``
  (items reversed), ``missing`` (last item dropped), ``duplicated`` (first item appended again),
  ``conflicting_duplicate`` (first item appended again with text ``"conflicting <text>"``),
  ``extra`` (an item ``{"image": n+1, "text": "phantom"}`` appended), ``out_of_range`` (last
  item's image number set to n+5), ``bare_list`` (the item list without the ``pages`` wrapper),
  ``empty`` (content ``""``).
- degenerate answers for the request's last page, valid JSON otherwise: ``loop`` (a phrase
  repeated 300 times after its text), ``loop_rows`` (a table row on 60 lines), ``loop_cut``
  (the phrase repeated until the answer is cut, ``finish_reason: "length"``), ``refusal``
  ("I'm sorry, I can't help with that."), ``blank_text`` (``""``), ``wrong_script`` (a
  Russian sentence).

A request with ``logprobs: true`` gets ``choices[0].logprobs.content``: 4-character tokens,
each at ``token_logprob`` (default -0.01).

``tls=(certfile, keyfile)`` serves HTTPS (``url`` says ``https``); ``connections_accepted``
counts TCP connections, handshakes failed or not.

``capacity=N``: a request arriving while more than N are in flight is answered 429 at once
(``retry-after-ms: capacity_retry_ms``, no fault consumed); ``over_capacity`` counts them.

Document requests (a schema without the ``pages`` envelope, as ``--schema receipt`` sends) are
answered with one object: ``document_answer(record)`` when given (a dict, or a string sent as
is), else placeholders for the schema's properties. The faults ``invalid_json``, ``empty``,
``truncated`` and ``fenced`` mangle a document answer too.

``strict_schemas=True`` (OpenAI) answers 400 unless ``response_format`` is strict: every object
closed and every property required. ``PROFILES`` / ``ChatServer.for_provider(name)`` reproduce
each provider preset's documented behaviour (path prefix, image limit and its status code,
``response_format`` support, legacy ``choices[0].text``, strict schemas).

Order of checks for a chat request: auth (401, consumes no fault), capacity, then a fault is
taken, then ``latency`` (and any hang) is slept, then status/reset faults answer, then the
request is validated (400 bad body, ``response_format`` unsupported, too many images, context
length), then the normal answer is built and mangled. A mangling fault taken by a request that fails
validation is used up.

The modules: ``server`` (ChatServer: settings, lifecycle, records), ``handler`` (HTTP and the
order of checks), ``reading`` (the request body and its images), ``limits`` (what a server
refuses), ``answers`` (content, manglings, the completion), ``faults`` (fault specs, error
bodies) and ``providers`` (``PROFILES``).
"""

from .faults import (
    DEGENERATE_KINDS,
    FAULT_KINDS,
    MANGLE_KINDS,
    Fault,
    hang,
    mangle,
    parse_fault,
    reset,
    status,
)
from .hostile import gzip_bomb, raw, redirect, trickle, usage
from .limits import pixtral_tokens
from .providers import PROFILES
from .reading import RecordedRequest
from .server import ChatServer

__all__ = [
    "DEGENERATE_KINDS",
    "FAULT_KINDS",
    "MANGLE_KINDS",
    "PROFILES",
    "ChatServer",
    "Fault",
    "RecordedRequest",
    "gzip_bomb",
    "hang",
    "mangle",
    "parse_fault",
    "pixtral_tokens",
    "raw",
    "redirect",
    "reset",
    "status",
    "trickle",
    "usage",
]
