"""ChatServer: the fake endpoint's settings, lifecycle, fault queue and request records."""

from __future__ import annotations

import collections
import contextlib
import random
import socket
import ssl
import threading
from collections.abc import Callable, Mapping
from typing import Any

from .faults import Fault, error_body, parse_fault, spec_of
from .handler import ChatHandler, ChatHTTPServer
from .providers import PROFILES
from .reading import RecordedRequest


class ChatServer:
    """Fake OpenAI-compatible vision endpoint on 127.0.0.1; use as a context manager."""

    # A server that answers more routes (the batch server) brings its own handler.
    handler_class: type[ChatHandler] = ChatHandler

    def __init__(
        self,
        *,
        prefix: str = "/v1",
        latency: float = 0.0,
        api_key: str | None = None,
        max_images: int | None = None,
        too_many_images_status: int = 400,
        context_tokens: int | None = None,
        supports_response_format: bool = True,
        legacy_text: bool = False,
        fault_rates: Mapping[str, float] | None = None,
        seed: int = 0,
        model: str = "fake-vision",
        capacity: int | None = None,
        capacity_retry_ms: int = 100,
        strict_schemas: bool = False,
        document_answer: Callable[[RecordedRequest], Any] | None = None,
        read_markers: bool = True,
        tls: tuple[str, str] | None = None,
        token_logprob: float = -0.01,
    ) -> None:
        self.prefix = prefix.rstrip("/")
        # (certificate file, key file): serve HTTPS with them.
        self.tls = tls
        self.connections_accepted = 0
        # False: images are only sized from their headers, never decoded (benchmarks, where
        # decoding would take CPU from the pipeline being measured); answers are "unmarked".
        self.read_markers = read_markers
        self.latency = latency
        self.api_key = api_key
        self.max_images = max_images
        self.too_many_images_status = too_many_images_status
        self.context_tokens = context_tokens
        self.capacity = capacity
        self.capacity_retry_ms = capacity_retry_ms
        self.over_capacity = 0
        self.supports_response_format = supports_response_format
        self.legacy_text = legacy_text
        self.strict_schemas = strict_schemas
        self.document_answer = document_answer
        self.model = model
        # Every token's log-probability in the `logprobs` block of a request asking for one.
        self.token_logprob = token_logprob
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._faults: collections.deque[Fault] = collections.deque()
        self._rates: list[tuple[Fault, float]] = []
        self._seed = seed
        self._rng = random.Random(seed)
        self.fault_rates = fault_rates
        self._ids = 0
        self._connections: set[socket.socket] = set()
        self._httpd: ChatHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.request_count = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.requests: list[RecordedRequest] = []
        self.answered_values: list[tuple[int | None, ...]] = []

    @classmethod
    def for_provider(cls, name: str, **overrides: Any) -> ChatServer:
        """A server that behaves as the provider's documented endpoint (see ``PROFILES``)."""
        return cls(**{**PROFILES[name], **overrides})

    # --- configuration --------------------------------------------------------------------

    @property
    def seed(self) -> int:
        """Seed of the random fault draws; setting it restarts the sequence."""
        return self._seed

    @seed.setter
    def seed(self, value: int) -> None:
        with self._lock:
            self._seed = value
            self._rng = random.Random(value)

    @property
    def fault_rates(self) -> dict[str, float] | None:
        """Per-request probability of each fault spec (e.g. ``{"status:503": 0.1}``)."""
        return {spec_of(f): p for f, p in self._rates} or None

    @fault_rates.setter
    def fault_rates(self, rates: Mapping[str, float] | None) -> None:
        parsed = [(parse_fault(spec), float(p)) for spec, p in (rates or {}).items()]
        if any(p < 0 for _, p in parsed) or sum(p for _, p in parsed) > 1 + 1e-9:
            raise ValueError("fault rates must be >= 0 and sum to at most 1")
        with self._lock:
            self._rates = parsed

    def inject(self, *faults: Fault | str) -> None:
        """Queue one-shot faults, consumed in order by the next chat requests."""
        parsed = [parse_fault(f) for f in faults]
        with self._lock:
            self._faults.extend(parsed)

    @property
    def pending_faults(self) -> int:
        """How many injected faults are still queued."""
        with self._lock:
            return len(self._faults)

    def reset_stats(self) -> None:
        """Clear counters and records (``in_flight`` keeps counting live requests)."""
        with self._lock:
            self.request_count = 0
            self.max_in_flight = self.in_flight
            self.requests = []
            self.answered_values = []
            self.over_capacity = 0

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The listening port."""
        if self._httpd is None:
            raise RuntimeError("server not started")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """``http(s)://127.0.0.1:<port>`` without the prefix."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The URL to give an OpenAI client: root URL plus prefix."""
        return self.url + self.prefix

    def start(self) -> ChatServer:
        """Bind and serve in a background thread."""
        if self._httpd is not None:
            return self
        self._stop.clear()
        httpd = ChatHTTPServer(("127.0.0.1", 0), self.handler_class)
        httpd.chat = self
        if self.tls is not None:
            httpd.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            httpd.tls.load_cert_chain(*self.tls)
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            daemon=True,
            name=f"ChatServer:{self.port}",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake sleeping handlers and close every connection."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stop.set()
        httpd.shutdown()
        httpd.server_close()
        with self._lock:
            conns = list(self._connections)
        for conn in conns:
            # Unblocks handler threads waiting for the next keep-alive request.
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> ChatServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- used by handlers -----------------------------------------------------------------

    def _snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "latency": self.latency,
                "api_key": self.api_key,
                "max_images": self.max_images,
                "too_many_images_status": self.too_many_images_status,
                "context_tokens": self.context_tokens,
                "capacity": self.capacity,
                "capacity_retry_ms": self.capacity_retry_ms,
                "supports_response_format": self.supports_response_format,
                "legacy_text": self.legacy_text,
                "strict_schemas": self.strict_schemas,
                "token_logprob": self.token_logprob,
            }

    def _authorized(self, header: str | None) -> bool:
        return self.api_key is None or header == f"Bearer {self.api_key}"

    @staticmethod
    def _unauthorized_body() -> bytes:
        return error_body("Incorrect API key provided.", "invalid_request_error", "invalid_api_key")

    def _take_fault(self) -> Fault | None:
        with self._lock:
            if self._faults:
                return self._faults.popleft()
            if not self._rates:
                return None
            draw = self._rng.random()
            for fault, p in self._rates:
                if draw < p:
                    return fault
                draw -= p
            return None

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _accepted(self) -> None:
        with self._lock:
            self.connections_accepted += 1

    def _enter(self) -> None:
        with self._lock:
            self.request_count += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self, record: RecordedRequest, answered: tuple[int | None, ...] | None) -> None:
        with self._lock:
            self.in_flight -= 1
            self.requests.append(record)
            if answered is not None:
                self.answered_values.append(answered)

    def _next_id(self) -> int:
        with self._lock:
            self._ids += 1
            return self._ids
