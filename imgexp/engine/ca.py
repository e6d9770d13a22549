"""Hand a CA bundle to pip inside builds without it ever landing in an image layer.

Which bundle: the one asked for, else $IMGEXP_CA_BUNDLE, $PIP_CERT, $REQUESTS_CA_BUNDLE,
$SSL_CERT_FILE, else the ``cert`` of the host's pip configuration: the bundle the host's
own pip already trusts, as behind a corporate TLS proxy.

The classic builder has no build secrets, and a COPY always makes a layer. So imgexp
serves the bundle over http on the host's loopback (builds run on the host network),
passes its URL as the build arg IMGEXP_CA_URL, and each RUN step that installs sources
requirements/imgexp-ca.sh, which fetches it into /tmp, points PIP_CERT and SSL_CERT_FILE
at it and deletes it when the step ends.
"""

from __future__ import annotations

import configparser
import contextlib
import errno
import hashlib
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from ..errors import CaBundleNotFound

#: the ports a bundle's server may take: the URL is a build arg, so part of every step's cache key, and
#: must stay the same across runs and across runs side by side. A bundle's port and path follow from its
#: bytes, and servers of the same bundle share the port (SO_REUSEPORT): whichever answers, the bytes are
#: the same, and one that stops leaves the others serving.
SHARED_PORTS = range(47000, 48000)
CA_ENVIRONMENT = ("IMGEXP_CA_BUNDLE", "PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")


def find_ca_bundle(asked: str | Path | None = None) -> Path | None:
    """The CA bundle for builds: ``asked``, else the environment, else pip's ``cert``; "" means none.

    A bundle named but missing raises CaBundleNotFound, naming where the name came from.
    """
    source, value = "the ca_bundle option", "" if asked is None else str(asked)
    if asked is None:
        source, value = next(
            ((name, os.environ[name]) for name in CA_ENVIRONMENT if os.environ.get(name)),
            ("pip's configuration (cert)", _pip_cert()),
        )
    if not value:
        return None
    bundle = Path(value).expanduser()
    if not bundle.is_file():
        raise CaBundleNotFound(str(bundle), source)
    return bundle


def _pip_cert() -> str:
    """``cert`` from pip's configuration files, later files winning, as pip reads them."""
    files = ["/etc/pip.conf", "/etc/xdg/pip/pip.conf", "~/.pip/pip.conf", "~/.config/pip/pip.conf"]
    if os.environ.get("PIP_CONFIG_FILE"):
        files.append(os.environ["PIP_CONFIG_FILE"])
    config = configparser.ConfigParser()
    config.read([os.path.expanduser(f) for f in files])
    return config.get("global", "cert", fallback="")


@contextlib.contextmanager
def serve(bundle: Path | None) -> Iterator[str | None]:
    """serve_ca_bundle when there is a bundle; yields None when there is none."""
    if bundle is None:
        yield None
        return
    with serve_ca_bundle(bundle) as url:
        yield url


@contextlib.contextmanager
def serve_ca_bundle(bundle: Path) -> Iterator[str]:
    """Serve ``bundle`` on 127.0.0.1 for the duration of the block; yields its URL."""
    data = Path(bundle).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    path = f"/imgexp-ca-{digest[:16]}.pem"

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != path:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/x-pem-file")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

    server = _bind(Handler, SHARED_PORTS[int(digest, 16) % len(SHARED_PORTS)])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{path}"
    finally:
        server.shutdown()
        server.server_close()


class _SharedServer(http.server.ThreadingHTTPServer):
    allow_reuse_port = True


def _bind(handler: type[http.server.BaseHTTPRequestHandler], port: int) -> http.server.ThreadingHTTPServer:
    """A server on the bundle's port, shared with other servers of it; a free port if another program holds it."""
    for server, chosen in ((_SharedServer, port), (http.server.ThreadingHTTPServer, 0)):
        try:
            return server(("127.0.0.1", chosen), handler)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
    raise OSError("no free port on 127.0.0.1 for the CA bundle server")
