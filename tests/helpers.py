"""What the tests share that is not a fixture: the repository and the small requirement they build."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
#: small, pure Python, and its import name (dateutil) is not its distribution name
SMALL_REQUIREMENT = "python-dateutil"
WRITEUP_STRATEGIES = ("base", "slim", "multi-stage")
