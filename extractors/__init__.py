"""The stages: load and rasterise, budget and chunk, call the endpoint, parse, write."""

import sys

# PyMuPDF 2.0 imports its optional companions when they are installed (and they are among its
# own dependencies): the layout analyser loads an ONNX model at `import pymupdf` (0.43 s and
# 55 MB in every process, the render workers' too) and pymupdf4llm adds 0.07 s. We only render
# pages, so both are kept out; `None` in sys.modules makes their import fail as if they were
# absent, which PyMuPDF allows for.
if "pymupdf" not in sys.modules:
    for _companion in ("pymupdf.layout", "pymupdf4llm"):
        sys.modules.setdefault(_companion, None)  # type: ignore[arg-type]
