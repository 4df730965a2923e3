"""An endpoint whose certificate is not trusted: said at once, and trusted through SSL_CERT_FILE."""

from pathlib import Path

import pytest
from chat_server import ChatServer
from harness import run
from markers import make_marked_image
from page_checks import assert_every_page_once_ok
from tls_cert import self_signed_cert

from extractors.errors import FatalEndpointError


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    make_marked_image(folder / "img_1.png", 1, size=(300, 400))
    return folder


def test_an_untrusted_certificate_stops_the_run_at_once(
    tmp_path: Path, inputs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with ChatServer(tls=self_signed_cert(tmp_path)) as server:
        url = server.base_url
        with pytest.raises(FatalEndpointError) as raised:
            run([inputs], tmp_path / "out", base_url=url, model="m")
        connections = server.connections_accepted
    message = str(raised.value)
    assert message.startswith(f"cannot connect to {url}: certificate verify failed (")
    assert "SSL_CERT_FILE" in message and "\n" not in message
    assert connections == 1  # not retried: no retry makes a certificate trusted


def test_a_certificate_trusted_through_ssl_cert_file_is_used(
    tmp_path: Path, inputs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = self_signed_cert(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    with ChatServer(tls=(str(cert), str(key))) as server:
        run([inputs], tmp_path / "out", base_url=server.base_url, model="m")
        assert server.base_url.startswith("https://")
        assert [r.status for r in server.requests] == [200]
    assert_every_page_once_ok(tmp_path / "out", 1)
