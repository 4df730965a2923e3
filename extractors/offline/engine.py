"""The embedded default endpoint: RapidOCR behind an OpenAI-compatible server on loopback.

With no endpoint configured the pipeline talks to this server through the same client code
as to any remote endpoint, so offline runs exercise the real request path.
"""

import hashlib
import io
import json
import logging
import sys
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
from PIL import Image

from extractors.endpoint.completion import OCR_EXTENSION
from extractors.offline.ocr_report import PageReading, line_box, ocr_report
from extractors.offline.reading_order import PageTop, reading_order
from extractors.offline.receipts.fields import receipt_answer
from extractors.offline.recognised import RecognisedLine, latin_forms
from extractors.offline.request_parts import (
    layer_texts,
    request_images,
    requested_schema,
    text_pages,
)
from extractors.offline.second_reading import Reading, read_again
from extractors.offline.sideways import page_top
from extractors.records import OcrLine

_log = logging.getLogger(__name__)

MODEL_NAME = "rapidocr-ppocrv6"


# Pages whose text is kept: a re-asked request (an answer that failed validation) sends the
# same pages again, at most a request's dozen.
_REMEMBERED_PAGES = 24


# What the engine can answer: page transcriptions, and receipt fields found by rules.


class OcrEngine:
    """RapidOCR (PP-OCRv6 on onnxruntime, models inside the wheel), one image at a time."""

    def __init__(self, threads: int | None = None, second_reading: bool = True) -> None:
        self._engine: Any = None
        # Off only to measure what it gains (benchmarks/receipt_fields.py).
        self._second_reading = second_reading
        self._lock = threading.Lock()
        # onnxruntime's threads (None: every core). Several Dask workers on one machine each
        # take their share, or their spinning threads fight over the cores.
        self._threads = threads
        self._read: OrderedDict[str, PageReading] = OrderedDict()

    def transcribe_encoded(self, data: bytes) -> str:
        """The text of an encoded image."""
        return self.read_encoded(data).text

    def read_encoded(self, data: bytes) -> PageReading:
        """The reading of an encoded image; a page asked again (a re-ask) is not read twice."""
        key = hashlib.sha256(data).hexdigest()
        with self._lock:
            if key in self._read:
                self._read.move_to_end(key)
                return self._read[key]
        reading = self.read(Image.open(io.BytesIO(data)))
        with self._lock:
            self._read[key] = reading
            while len(self._read) > _REMEMBERED_PAGES:
                self._read.popitem(last=False)
        return reading

    def transcribe(self, image: Image.Image) -> str:
        """The image's text, line by line in reading order."""
        return self.read(image).text

    def read(self, image: Image.Image) -> PageReading:
        """The image's text in reading order, its lines with their scores and boxes (in the
        order detected), and how many lines the detector found."""
        rgb = image.convert("RGB")
        lines, scores, detected = self._recognise(rgb)
        reported = tuple(
            OcrLine(line.text, round(score, 4), line_box(line.quad, *rgb.size))
            for line, score in zip(lines, scores, strict=True)
        )
        return PageReading(page_text(lines, self.page_top(lines, rgb)), reported, detected)

    def page_top(self, lines: list[RecognisedLine], image: Image.Image) -> PageTop:
        """Where the page's top is in the image, for the reading order of sideways pages."""
        with self._lock:
            bgr = np.asarray(image.convert("RGB"))[:, :, ::-1]  # as the models were given it
            return page_top(lines, bgr, lambda crops: self._engine.text_cls(crops).cls_res)

    def recognise(self, image: Image.Image) -> list[RecognisedLine]:
        """The lines read, as `_recognise` reads them."""
        return self._recognise(image)[0]

    def _recognise(self, image: Image.Image) -> tuple[list[RecognisedLine], list[float], int]:
        """The detected lines the recogniser read, with its scores, and how many lines were
        detected; the lines it was unsure of are read a second time from a crop grown around
        their box (second_reading.py).

        PP-OCRv6 keeps the spaces between words: re-spacing its lines from the gaps in the
        ink, which PP-OCRv4 needed, split words (word F1 0.861 against 0.868 on 12 receipts,
        benchmarks/ocr_spacing.py run on PP-OCRv6 just before both were removed in 98081ac).
        """
        with self._lock:  # one inference at a time: onnxruntime already uses every core
            if self._engine is None:
                from rapidocr import RapidOCR  # 0.5 s to load: only when used

                params: dict[str, Any] = {"Global.log_level": "error"}
                if self._threads is not None:
                    params["EngineConfig.onnxruntime.intra_op_num_threads"] = self._threads
                    params["EngineConfig.onnxruntime.inter_op_num_threads"] = 1
                self._engine = RapidOCR(params=params)
            bgr = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])
            result, detected = detect_and_read(self._engine, bgr)
            boxes, texts = getattr(result, "boxes", None), getattr(result, "txts", None)
            if boxes is None or texts is None:  # nothing read on the page
                return [], [], detected
            scores = getattr(result, "scores", None) or (1.0,) * len(texts)
            readings = [Reading(str(t), float(s)) for t, s in zip(texts, scores, strict=True)]
            if self._second_reading:
                readings = read_again(self._engine, bgr, boxes, readings)
        lines = [
            RecognisedLine(quad.tolist(), latin_forms(reading.text))
            for quad, reading in zip(boxes, readings, strict=True)
        ]
        return lines, [reading.score for reading in readings], detected


def detect_and_read(engine: Any, bgr: np.ndarray) -> tuple[Any, int]:
    """RapidOCR's result for the image, and how many lines its detector found: the steps of
    `RapidOCR.__call__` (rapidocr 3.10), with the count taken before the lines read as blank
    or under `Global.text_score` are dropped, which the result does not say."""
    original = engine.load_img(bgr)
    image, record = engine.preprocess_img(original)
    det, cls, rec, crops = engine.run_ocr_steps(image, record)
    detected = 0 if det.boxes is None else len(det.boxes)
    return engine.build_final_output(original, det, cls, rec, crops, record), detected


def page_text(lines: list[RecognisedLine], top: PageTop = "up") -> str:
    """The lines in reading order."""
    return "\n".join(
        reading_order([line.quad for line in lines], [line.text for line in lines], top)
    )


def answer_request(engine: OcrEngine, body: dict[str, Any]) -> dict[str, Any]:
    """A chat-completions answer: one `pages` item per image, or one receipt's fields."""
    payloads = dict(enumerate(request_images(body), start=1))
    schema = requested_schema(body)
    if schema not in ("page_text", "receipt"):
        raise ValueError(f"the embedded engine cannot extract schema {schema!r}")
    layers = layer_texts(body)
    # A receipt's page sent with its PDF text layer is read from it: exact, and no OCR to pay.
    # A transcription is always OCR'd: `--text-layer hint` asks for a reading, not a copy; its
    # layer still tells the report which script the page is in.
    copied = {n: layers[n] for n in payloads if layers.get(n)} if schema == "receipt" else {}
    readings = {n: engine.read_encoded(data) for n, data in payloads.items() if n not in copied}
    texts = [copied[n] if n in copied else readings[n].text for n in payloads]
    if schema == "page_text":
        items = [{"image": n, "text": text} for n, text in enumerate(texts, start=1)]
        content = json.dumps({"pages": items}, ensure_ascii=False)
    else:
        content = receipt_answer("\n".join(texts + text_pages(body)))
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": str(body.get("model") or MODEL_NAME),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        # No usage: OCR reads no tokens, and a count made up here would be priced and summed
        # as if a model had read them.
        "usage": None,
        OCR_EXTENSION: ocr_report(readings, layers),
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_EngineHTTPServer"

    def do_POST(self) -> None:
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._reply(HTTPStatus.NOT_FOUND, {"error": {"message": f"no route {self.path}"}})
            return
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length))
            answer = answer_request(self.server.engine, body)
        except (ValueError, KeyError, TypeError, OSError) as exc:
            message = f"bad request: {type(exc).__name__}: {exc}"
            self._reply(HTTPStatus.BAD_REQUEST, {"error": {"message": message}})
            return
        self._reply(HTTPStatus.OK, answer)

    def _reply(self, status: HTTPStatus, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return None  # requests are counted by the pipeline; access logs would drown the terminal


class _EngineHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, engine: OcrEngine) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.engine = engine

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a run stopping, a request timing out) is no error of ours;
        anything else is reported as socketserver does."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            _log.debug("client %s hung up before its answer", client_address)
            return
        super().handle_error(request, client_address)


@contextmanager
def serve_local_engine(threads: int | None = None) -> Iterator[str]:
    """Run the embedded engine on a free loopback port; yields its base URL."""
    server = _EngineHTTPServer(OcrEngine(threads))
    thread = threading.Thread(target=server.serve_forever, name="local-engine", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


_PROCESS_ENGINES: dict[int | None, str] = {}


_PROCESS_ENGINES_LOCK = threading.Lock()


def process_local_engine(threads: int | None = None) -> str:
    """The base URL of this process's embedded engine, started by its first caller and kept
    until the process ends: a Dask worker runs shard after shard, and loading the models for
    each one would waste seconds per shard."""
    with _PROCESS_ENGINES_LOCK:
        if threads not in _PROCESS_ENGINES:
            server = _EngineHTTPServer(OcrEngine(threads))
            threading.Thread(target=server.serve_forever, name="local-engine", daemon=True).start()
            _PROCESS_ENGINES[threads] = f"http://127.0.0.1:{server.server_address[1]}/v1"
        return _PROCESS_ENGINES[threads]
