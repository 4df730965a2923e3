"""Identifying inputs: their format from the bytes, their hash, and what is refused."""

import hashlib
from pathlib import Path

import numpy as np
import pytest

from extractors.errors import SourceError
from extractors.load.identify import UnreadSourceError, identify


def test_identify_hashes_the_whole_file(tmp_path: Path):
    # larger than the 1 MiB hashing block, so several blocks are read
    data = b"%PDF-1.7\n" + np.random.default_rng(0).bytes(3 * (1 << 20) + 17)
    path = tmp_path / "big.pdf"
    path.write_bytes(data)
    source = identify(path)
    assert source.sha256 == hashlib.sha256(data).hexdigest()
    assert source.format == "pdf"
    assert source.path == str(path)


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("a.bin", b"%PDF-1.4\n", "pdf"),
        ("junk_prefix.dat", b"garbage before the header\n%PDF-1.5\n", "pdf"),
        ("photo.png", b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),  # bytes win over the suffix
        ("x", b"\x89PNG\r\n\x1a\n", "png"),
        ("x", b"GIF89a", "gif"),
        ("x", b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        ("x", b"II*\x00", "tiff"),
        ("x", b"\x00\x00\x00\x18ftypheic", "heif"),
        ("x", b"\x00\x00\x00\x18ftypavif", "avif"),
        ("x", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "svg"),
        ("x", b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "svg"),
        ("scan.TIF", b"no magic here", "tiff"),  # the suffix only when the bytes say nothing
    ],
)
def test_identify_format(tmp_path: Path, name: str, head: bytes, expected: str):
    path = tmp_path / name
    path.write_bytes(head + b"\x00" * 64)
    assert identify(path).format == expected


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("notes.txt", b"just some text\n"),
        ("report.docx", b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 200),
        ("no_suffix", b"PK\x03\x04" + b"\x00" * 50),
    ],
)
def test_identify_rejects_unsupported_files(tmp_path: Path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(SourceError, match="unsupported file type"):
        identify(path)


@pytest.mark.parametrize("name", ["empty.pdf", "empty.txt", "empty"])
def test_identify_rejects_empty_files(tmp_path: Path, name: str):
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(SourceError, match="empty file"):
        identify(path)


def test_identify_unreadable_path(tmp_path: Path):
    with pytest.raises(SourceError, match="cannot read file"):
        identify(tmp_path / "missing.pdf")
    with pytest.raises(SourceError, match="cannot read file"):
        identify(tmp_path)  # a directory


def test_unread_source_error_carries_the_hashed_source(tmp_path: Path):
    path = tmp_path / "notes.TXT"
    path.write_bytes(b"abc")
    with pytest.raises(UnreadSourceError) as unsupported:
        identify(path)
    assert unsupported.value.source.sha256 == hashlib.sha256(b"abc").hexdigest()
    assert unsupported.value.source.format == "txt"
    with pytest.raises(UnreadSourceError) as gone:
        identify(tmp_path / "gone.pdf")
    assert gone.value.source.sha256 == ""
