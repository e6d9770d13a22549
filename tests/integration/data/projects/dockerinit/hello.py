"""A bare ASGI app: GET / answers who serves it."""

import getpass


async def app(scope, receive, send):
    assert scope["type"] == "http"
    body = f"hello from {getpass.getuser()}\n".encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": body})
