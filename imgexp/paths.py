"""Where imgexp finds the files it ships: strategies, the write-up's requirements, notebooks.

In a checkout they are the repository's top-level folders; an installed wheel carries
the same folders inside the package, under ``imgexp/_data``.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
#: the folder holding dockerfiles/, requirements/ and notebooks/
DATA = PACKAGE / "_data" if (PACKAGE / "_data").is_dir() else PACKAGE.parent
DEFAULT_DOCKERFILES = DATA / "dockerfiles"
DEFAULT_REQUIREMENTS = DATA / "requirements" / "requirements.txt"
INSTALL_SCRIPT = DATA / "requirements" / "install_requirements.sh"
#: sourced by each RUN step that installs from PyPI: fetches the CA bundle for pip, then removes it
CA_SCRIPT = DATA / "requirements" / "imgexp-ca.sh"
NOTEBOOKS = DATA / "notebooks"
