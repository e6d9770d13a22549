"""minimal-stripped against minimal on numpy: smaller, still working, and each removal really gone.

numpy brings what the removals are about: extensions with symbol tables, an auditwheel
folder of vendored libraries (numpy.libs, left unstripped), C headers, type stubs.
"""

from __future__ import annotations

import json
from pathlib import Path

import docker
import pandas as pd
import pytest

import imgexp
from imgexp.attribution import waterfall
from imgexp.audit.image import inspect_image
from imgexp.measure.layerstore import open_store

#: every shared object in the venv loaded with RTLD_NOW, and what the removals leave, as JSON
PROBE = """
import ctypes, json, os, sys
venv = os.path.dirname(os.path.dirname(sys.executable))
found = {"failed": [], "loaded": 0, "left": []}
for root, dirs, files in os.walk(venv):
    dirs[:] = [d for d in dirs if not d.endswith(".dist-info")]
    found["left"] += [os.path.join(root, d) for d in dirs if d in ("include", "man", "jupyter")]
    for name in files:
        path = os.path.join(root, name)
        if name.endswith((".pyi", ".c", ".h", ".pxd", ".a")):
            found["left"].append(path)
        elif ".so" in name and not os.path.islink(path):
            try:
                ctypes.CDLL(path)
                found["loaded"] += 1
            except OSError as error:
                found["failed"].append(str(error))
print(json.dumps(found), flush=True)
os._exit(0)  # some extensions loaded outside an import abort the interpreter's finalization
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    root = tmp_path_factory.mktemp("stripped")
    requirements = root / "requirements.txt"
    requirements.write_text("numpy\n")
    strategies = ["minimal", "minimal-stripped"]
    results = imgexp.run(requirements=requirements, strategies=strategies, out=root / "out", progress=False)
    return results.set_index("strategy", drop=False)


def test_it_is_smaller_and_works(built: pd.DataFrame) -> None:
    assert built["verified"].all(), built["verify_error"].tolist()
    assert built.loc["minimal-stripped", "size_bytes"] < built.loc["minimal", "size_bytes"]
    last = waterfall(built.reset_index(drop=True), chain=(("minimal", "start"), ("minimal-stripped", "removals")))
    assert list(last["strategy"]) == ["minimal", "minimal-stripped"] and last["delta_bytes"].iloc[-1] < 0


def test_every_shared_object_loads_and_the_removed_files_are_gone(
    built: pd.DataFrame, client: docker.DockerClient
) -> None:
    image = built.loc["minimal-stripped", "image"]
    output = client.containers.run(image, ["python", "-c", PROBE], network_disabled=True, remove=True)
    found = json.loads(output.decode().strip().splitlines()[-1])
    assert found["failed"] == [] and found["loaded"] > 10
    assert found["left"] == []


def test_only_the_vendored_libraries_keep_debug_symbols(built: pd.DataFrame, client: docker.DockerClient) -> None:
    if open_store(client) is None:
        pytest.skip("the engine's overlay2 store is not readable here: debug symbols are not measured")
    before = inspect_image(client, built.loc["minimal", "image"]).findings.set_index("kind")
    after = inspect_image(client, built.loc["minimal-stripped", "image"]).findings.set_index("kind")
    assert "debug-symbols" in before.index
    if "debug-symbols" in after.index:
        folders = [Path(part.rsplit(" ", 1)[0]).name for part in after.loc["debug-symbols", "detail"].split(", ")]
        assert all(folder.endswith(".libs") for folder in folders), folders
        assert after.loc["debug-symbols", "bytes"] < before.loc["debug-symbols", "bytes"]
