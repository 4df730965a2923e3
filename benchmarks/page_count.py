"""What counting the pages of the inputs costs per file (the progress bar's total, counted
beside the run by `extractors/discover/page_count.py`): PDFs opened with PyMuPDF for their
page count, images' frames read from their header with Pillow.

    .venv/bin/python benchmarks/page_count.py [FOLDER]   # default: ../shared/corpus
"""

import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from extractors.discover.files import discover
from extractors.discover.page_count import pages_in

_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def main(folder: Path) -> None:
    times: dict[str, list[float]] = defaultdict(list)
    pages = 0
    for found in discover([folder]):
        if not isinstance(found, str):
            continue
        started = time.perf_counter()
        pages += pages_in(found)
        times[Path(found).suffix.lower() or "(none)"].append(time.perf_counter() - started)
    every = [t for kind in times.values() for t in kind]
    print(f"{len(every)} files, {pages} pages, {sum(every) * 1000:.0f} ms in all")
    print(
        f"per file: median {statistics.median(every) * 1000:.2f} ms, max {max(every) * 1000:.1f} ms"
    )
    for kind, spent in sorted(times.items()):
        print(f"  {kind:6} {len(spent):4} files, median {statistics.median(spent) * 1000:.2f} ms")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else _CORPUS)
