"""Serve the page rendered at build time (GET /) with waitress; no markdown at run time."""

import argparse
from pathlib import Path

from waitress import serve

SITE = Path("/app/site")


def app(environ, start_response):
    if environ.get("PATH_INFO") != "/":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]
    body = (SITE / "index.html").read_bytes()
    start_response("200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(body)))])
    return [body]


def main() -> None:
    parser = argparse.ArgumentParser(prog="glossary")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8005)
    args = parser.parse_args()
    serve(app, host=args.host, port=args.port)
