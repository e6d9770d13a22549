"""WSGI app: GET /predict?x=<number> answers the model's prediction as JSON."""

import json
import os
from urllib.parse import parse_qs

from model import predict


def app(environ, start_response):
    query = parse_qs(environ.get("QUERY_STRING", ""))
    try:
        x = float(query["x"][0])
    except (KeyError, ValueError):
        start_response("400 Bad Request", [("Content-Type", "application/json")])
        return [b'{"error": "give x, a number"}']
    body = json.dumps({"model": os.environ.get("MODEL_NAME", "?"), "y": predict(x)}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
