"""Serve ``GET /`` with the linked libyaml's version, as JSON."""

import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from yamlver._libyaml import version


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"libyaml": version()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8001)
    port = parser.parse_args().port
    ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()


main()
