"""Smoke test: the app shortens a URL, redirects to it and answers its health check."""

from shortlinks.__main__ import self_check
from shortlinks.app import app


def test_self_check() -> None:
    self_check()


def test_a_bad_url_is_refused() -> None:
    assert app.test_client().post("/links", json={"url": "ftp://x"}).status_code == 400
