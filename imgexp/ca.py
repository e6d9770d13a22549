"""Hand a CA bundle to pip inside builds without it ever landing in an image layer.

The classic builder has no build secrets, and a COPY always makes a layer. So imgexp
serves the bundle over http on the host's loopback (builds run on the host network),
passes its URL as the build arg IMGEXP_CA_URL, and the install script fetches it into
/tmp, points PIP_CERT at it and deletes it before its RUN step ends.
"""

from __future__ import annotations

import contextlib
import errno
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

#: tried first, so that the URL, which is part of the build cache key, stays the same across runs
PREFERRED_PORTS = range(47823, 47833)
CA_PATH = "/imgexp-ca.pem"


@contextlib.contextmanager
def serve_ca_bundle(bundle: Path) -> Iterator[str]:
    """Serve ``bundle`` on 127.0.0.1 for the duration of the block; yields its URL."""
    data = Path(bundle).read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if self.path != CA_PATH:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/x-pem-file")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

    server = _bind(Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{CA_PATH}"
    finally:
        server.shutdown()
        server.server_close()


def _bind(handler: type[http.server.BaseHTTPRequestHandler]) -> http.server.ThreadingHTTPServer:
    for port in [*PREFERRED_PORTS, 0]:
        try:
            return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
    raise OSError("no free port on 127.0.0.1 for the CA bundle server")
