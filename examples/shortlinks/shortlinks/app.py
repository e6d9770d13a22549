"""The web service: POST /links stores a URL under a short code, GET /<code> redirects to it."""

from __future__ import annotations

import hashlib

from flask import Flask, abort, jsonify, redirect, request
from werkzeug.wrappers import Response

app = Flask(__name__)
_links: dict[str, str] = {}


@app.get("/health")
def health() -> Response:
    return jsonify(status="ok", links=len(_links))


@app.post("/links")
def create() -> tuple[Response, int]:
    url = (request.get_json(silent=True) or {}).get("url", "")
    if not url.startswith(("http://", "https://")):
        return jsonify(error='give a JSON body {"url": "https://..."}'), 400
    code = hashlib.sha256(url.encode()).hexdigest()[:7]
    _links[code] = url
    return jsonify(code=code, url=url), 201


@app.get("/<code>")
def follow(code: str) -> Response:
    if code not in _links:
        abort(404)
    return redirect(_links[code], code=302)
