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


_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}


_AVIF_BRANDS = {b"avif", b"avis"}


def _format_from_magic(head: bytes) -> str | None:
    if head.startswith(b"%PDF") or b"%PDF-" in head[:1024]:
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head[:2] == b"BM":
        return "bmp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _AVIF_BRANDS:
            return "avif"
        if brand in _HEIF_BRANDS:
            return "heif"
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
