"""Which inputs we read, told by their first bytes (the suffix only when the bytes say nothing)."""

from pathlib import Path

from extractors.errors import SourceError

PDF = "pdf"


SVG = "svg"


# Formats Pillow opens (HEIF/HEIC through pillow-heif); TIFF and HEIF frames are pages.
IMAGE_FORMATS = frozenset({"jpeg", "png", "gif", "webp", "tiff", "bmp", "heif", "avif", "mpo"})


MULTI_PAGE_IMAGE_FORMATS = frozenset({"tiff", "heif"})


_SUFFIXES = {
    ".pdf": PDF,
    ".svg": SVG,
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".png": "png",
    ".apng": "png",
    ".gif": "gif",
    ".webp": "webp",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".bmp": "bmp",
    ".heic": "heif",
    ".heif": "heif",
    ".avif": "avif",
    ".avifs": "avif",
    ".mpo": "mpo",
}


_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")


_AVIF_BRANDS = (b"avif", b"avis")


# A format and the (offset, bytes) parts that all mark it, tried in order.
_SIGNATURES: tuple[tuple[str, tuple[tuple[int, bytes], ...]], ...] = (
    ("jpeg", ((0, b"\xff\xd8\xff"),)),
    ("png", ((0, b"\x89PNG\r\n\x1a\n"),)),
    ("gif", ((0, b"GIF87a"),)),
    ("gif", ((0, b"GIF89a"),)),
    ("webp", ((0, b"RIFF"), (8, b"WEBP"))),
    ("tiff", ((0, b"II*\x00"),)),
    ("tiff", ((0, b"MM\x00*"),)),
    ("tiff", ((0, b"II+\x00"),)),
    ("tiff", ((0, b"MM\x00+"),)),
    ("bmp", ((0, b"BM"),)),
    # ISO base media files: an `ftyp` box whose major brand names the codec.
    *(("avif", ((4, b"ftyp"), (8, brand))) for brand in _AVIF_BRANDS),
    *(("heif", ((4, b"ftyp"), (8, brand))) for brand in _HEIF_BRANDS),
)


def _format_from_magic(head: bytes) -> str | None:
    # Some PDF writers put bytes before the header; readers accept it within the first 1 KiB.
    if head.startswith(b"%PDF") or b"%PDF-" in head[:1024]:
        return PDF
    for name, parts in _SIGNATURES:
        if all(head.startswith(part, offset) for offset, part in parts):
            return name
    stripped = head.lstrip()
    if stripped.startswith(b"<svg") or (stripped.startswith(b"<?xml") and b"<svg" in head):
        return SVG
    return None


def detect_format(path: Path, head: bytes) -> str:
    """The format to read `path` as, from its first bytes; SourceError when we cannot read it."""
    found = _format_from_magic(head)
    if found is None:
        found = _SUFFIXES.get(path.suffix.lower())
        if found is None or not head:
            what = (
                "empty file"
                if not head
                else f"unsupported file type ({path.suffix or 'no suffix'})"
            )
            raise SourceError(what)
    return found
