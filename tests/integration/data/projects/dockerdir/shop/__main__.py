"""Serve the front page on port 8002 (or $PORT)."""

import os
from http.server import BaseHTTPRequestHandler, HTTPServer

from markupsafe import _speedups, escape

PRODUCTS = ["tea & cake", "<b>bold</b> coffee"]


class FrontPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        items = "".join(f"<li>{escape(name)}</li>" for name in PRODUCTS)
        body = f"<ul>{items}</ul><!-- {_speedups.__name__} -->".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(body)


HTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8002"))), FrontPage).serve_forever()
