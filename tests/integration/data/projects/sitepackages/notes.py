"""A WSGI notes service: GET /notes lists them, as plain text."""

NOTES = ["multi-stage", "site-packages copied", "one console script"]


def app(environ, start_response):
    if environ.get("PATH_INFO") != "/notes":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]
    body = "\n".join(NOTES).encode() + b"\n"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
