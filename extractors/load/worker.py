"""The render worker's side: documents kept open per thread, layouts read and pages drawn."""

import ctypes
import os
import signal
import threading
import time
from collections import OrderedDict
from dataclasses import replace
from multiprocessing.queues import SimpleQueue

from extractors.errors import SourceError
from extractors.load.deadline import announce_on
from extractors.load.reader import DocumentReader
from extractors.options import RenderOptions
from extractors.records import DocumentLayout, PlannedPage, RenderedImage, SourceFile

# Documents each worker keeps open. Pages of one document arrive close together; more than a
# few open documents would only hold MuPDF's memory for pages that are never drawn again.
_OPEN_DOCUMENTS = 4


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity, which containers narrow)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# The worker's side. Open documents belong to the thread that opened them (PyMuPDF objects
# must stay on one thread): the one thread of a worker process, or a rendering thread here.
_THREAD_STATE = threading.local()


def _open_readers() -> "OrderedDict[tuple[str, str], DocumentReader]":
    readers: OrderedDict[tuple[str, str], DocumentReader] | None
    readers = getattr(_THREAD_STATE, "readers", None)
    if readers is None:
        readers = _THREAD_STATE.readers = OrderedDict()
    return readers


def configure_thread(options: RenderOptions, password: str | None) -> None:
    """How this thread (a worker process's, or a rendering thread here) opens and draws.

    Given once, by the executor's initializer: the password is never sent with each call.
    """
    _THREAD_STATE.rendering = (options, password)


def _reader(source: SourceFile) -> DocumentReader:
    readers = _open_readers()
    key = (source.readable_path, source.sha256)
    reader = readers.get(key)
    if reader is not None:
        readers.move_to_end(key)
        return reader
    options, password = getattr(_THREAD_STATE, "rendering", (RenderOptions(), None))
    reader = DocumentReader(source, options, password)
    readers[key] = reader
    while len(readers) > _OPEN_DOCUMENTS:
        _, oldest = readers.popitem(last=False)
        oldest.close()
    return reader


def _forget(source: SourceFile) -> None:
    reader = _open_readers().pop((source.readable_path, source.sha256), None)
    if reader is not None:
        reader.close()


def read_layout_in_worker(source: SourceFile, read_text: bool = True) -> DocumentLayout:
    """The document's layout; the document stays open in this worker for its pages."""
    try:
        return _reader(source).layout(read_text)
    except BaseException:
        _forget(source)
        raise


def render_in_worker(
    source: SourceFile, page: PlannedPage, pad_to_square: bool
) -> RenderedImage | SourceError:
    """One page drawn and encoded; a page that cannot be drawn gives its error as the value."""
    started = time.perf_counter()
    try:
        image = _reader(source).render(page, pad_to_square)
    except SourceError as exc:
        return exc
    return replace(image, drawn_seconds=time.perf_counter() - started)


def close_all_on_this_thread() -> None:
    """Close every document this thread has open."""
    readers = _open_readers()
    while readers:
        _, reader = readers.popitem()
        reader.close()


def close_in_worker(source: SourceFile) -> None:
    """Close the document if this worker has it open."""
    _forget(source)


# glibc's mallopt parameters, and what render workers set them to (see `configure_process`).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_BYTES = 32 << 20
_TRIM_THRESHOLD_BYTES = 64 << 20


def configure_process(
    options: RenderOptions,
    password: str | None,
    announce: "SimpleQueue[tuple[int, int, float]] | None" = None,
) -> None:
    """A render worker process: deaf to SIGINT, low priority, its page buffers kept, its
    rendering settings, and the channel on which it announces each call it starts (for the
    render deadline).

    Page buffers stay in the worker's heap from one page to the next.
    A page allocates and frees a few buffers of megabytes (the pixmap, the image, the JPEG).
    With glibc's defaults they are mapped and unmapped, or the heap is trimmed, on every page,
    and each page then pays for zero-filling fresh memory: measured here, 98 pages/s against
    175 with both thresholds raised, at the same peak RSS (112 MB).
    """
    # Ctrl-C at a terminal reaches the whole process group: only the run's process decides
    # what it means (it stops the run and closes this pool). A worker that took it would
    # print a KeyboardInterrupt traceback and break the pool under the pages being drawn.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(10)
    configure_thread(options, password)
    announce_on(announce)
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except AttributeError:
        return  # not glibc: another allocator, without these knobs
    mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES)
    mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD_BYTES)


def warm_up() -> None:
    """Nothing: submitted once per worker so the processes start before the first page."""
