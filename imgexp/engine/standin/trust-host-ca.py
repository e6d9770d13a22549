"""Trust what the host trusts: its bundle's certificates that the system store lacks go into it, and pip uses it.

Run by imgexp's stand-in recipe (the Dockerfile beside it) with the stand-in's own python3.
The store is rewritten only when a certificate was added, so no layer holds a second copy
of an unchanged bundle.
"""

import re
import subprocess
import sys
from pathlib import Path

PEM = re.compile(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.S)
STORE = Path("/etc/ssl/certs/ca-certificates.crt")
LOCAL = Path("/usr/local/share/ca-certificates")
PIP_CONF = Path("/etc/pip.conf")


def main(host_bundle: str) -> None:
    have = {"".join(cert.split()) for cert in PEM.findall(STORE.read_text())}
    new = [cert for cert in PEM.findall(Path(host_bundle).read_text()) if "".join(cert.split()) not in have]
    LOCAL.mkdir(parents=True, exist_ok=True)
    for number, cert in enumerate(new):
        (LOCAL / f"imgexp-host-{number}.crt").write_text(cert + "\n")
    if new:
        subprocess.run(["update-ca-certificates"], check=True)
    PIP_CONF.write_text(f"[global]\ncert = {STORE}\n")
    print(f"trust-host-ca: {len(new)} certificate(s) of the host's bundle added; pip trusts {STORE}")


if __name__ == "__main__":
    main(sys.argv[1])
