"""`python -m shortlinks --self-check`: one round trip through the app, no network; exit 0 when it works."""

from __future__ import annotations

import sys

from .app import app


def self_check() -> None:
    client = app.test_client()
    created = client.post("/links", json={"url": "https://example.org/a/long/path"})
    assert created.status_code == 201, created.data
    followed = client.get("/" + created.get_json()["code"])
    assert followed.status_code == 302 and followed.location == "https://example.org/a/long/path"
    assert client.get("/health").get_json()["status"] == "ok"


if __name__ == "__main__":
    if sys.argv[1:] != ["--self-check"]:
        sys.exit("usage: python -m shortlinks --self-check   (serve it with: gunicorn shortlinks.app:app)")
    self_check()
    print("shortlinks: self-check passed")
