"""No litter: a run leaves only the images it reports, `imgexp clean` removes the rest, and nobody else's.

On a dedicated engine (tests/integration/engines.py): `imgexp clean` removes every imgexp
image of its engine, which would pull the rug from under other tests building on the main one.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import docker
import pandas as pd
import pytest

from imgexp.engine.build import BuildRequest, build_image
from imgexp.engine.cleanup import Ledger, short_id
from imgexp.engine.context import BuildContext
from imgexp.engine.standins import tag_for

from ..helpers import imgexp_run
from .engines import DedicatedEngine, dedicated_engine

STANDIN = tag_for("slim", "3.11")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, client: docker.DockerClient) -> Iterator[DedicatedEngine]:
    with dedicated_engine(tmp_path_factory.mktemp("engine"), client) as started, pytest.MonkeyPatch.context() as env:
        env.setenv("XDG_STATE_HOME", started.env["XDG_STATE_HOME"])  # this engine's ledger, here as in `imgexp`
        yield started


def _build(client: docker.DockerClient, dockerfile: str, tag: str | None = None) -> str:
    """A plain build, not imgexp's: the user's own image."""
    image, _ = client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=tag, rm=True, network_mode="host")
    return str(image.id)


def _dangling(client: docker.DockerClient) -> set[str]:
    return {str(image.id) for image in client.images.list(filters={"dangling": True})}


def _top_level(client: docker.DockerClient) -> set[str]:
    return {str(image.id) for image in client.images.list()}


def test_a_run_leaves_only_the_images_it_reports(
    engine: DedicatedEngine, tmp_path: Path, small_requirements: Path
) -> None:
    """multi-stage with --timings leaves, without the clean-up, its builder stage and a rebuilt final image."""
    client = engine.client
    users = _build(client, f"FROM {STANDIN}\nRUN echo {tmp_path.name} > /mine\n")  # untagged: dangling
    before = _top_level(client)
    out = tmp_path / "out"
    done = subprocess.run(
        imgexp_run(small_requirements, "multi-stage", out, "--base-source", "standin", "--timings", "--quiet"),
        capture_output=True,
        text=True,
        env=engine.env,
    )
    assert done.returncode == 0, done.stderr
    reported = set(pd.read_csv(out / "results.csv")["image_id"])
    assert _dangling(client) == {users}
    assert _top_level(client) == before | reported
    recorded = Ledger.of(client).ids()
    assert {short_id(i) for i in reported} <= recorded and short_id(users) not in recorded
    assert recorded - {short_id(str(image.id)) for image in client.images.list(all=True)}, "the run removed none"


def test_clean_removes_what_a_stopped_run_left_and_nothing_else(engine: DedicatedEngine, tmp_path: Path) -> None:
    """A build whose run never ended (killed, or its engine stopped) leaves its builder stage untagged."""
    client = engine.client
    _build(client, f"FROM {STANDIN}\nRUN echo {tmp_path.name} > /mine\n")
    _build(client, f"FROM scratch\nCOPY Dockerfile /{tmp_path.name}\n")
    users = _dangling(client)
    builder = f"FROM {STANDIN} AS builder\nRUN echo {tmp_path.name} > /built\n"
    two_stage = builder + f"FROM {STANDIN}\nCOPY --from=builder /built /built\n"
    labels = {"imgexp.role": "build", "imgexp.strategy": "two-stage"}
    request = BuildRequest("two-stage", BuildContext(_context(two_stage), ""), "imgexp/two-stage:test", labels=labels)
    built = build_image(client, request)
    left = _dangling(client) - users
    assert left, "the builder stage is left untagged"
    derived = _build(client, f"FROM imgexp/two-stage:test\nRUN echo {tmp_path.name} > /derived\n", "mine/derived:1")
    assert client.images.get(derived).labels["imgexp.role"] == "build"  # inherited: labels do not say who built it

    dry = subprocess.run(
        [sys.executable, "-m", "imgexp", "clean", "--dry-run"],
        capture_output=True,
        text=True,
        env=engine.env,
        check=True,
    )
    listed = {line.split()[2] for line in dry.stdout.splitlines() if line.startswith("would remove")}
    assert {short_id(built.image_id)} | {short_id(i) for i in left} <= listed
    assert not {short_id(i) for i in users | {derived}} & listed

    subprocess.run(
        [sys.executable, "-m", "imgexp", "clean"], capture_output=True, text=True, env=engine.env, check=True
    )
    assert _dangling(client) == users
    assert client.images.get("mine/derived:1").id == derived
    assert client.images.get(STANDIN)  # kept without --all
    assert not [image for image in client.images.list() if any(t.startswith("imgexp/two-stage") for t in image.tags)]
    assert Ledger.of(client).ids() <= {short_id(str(image.id)) for image in client.images.list(all=True)}


def _context(dockerfile: str) -> bytes:
    """A build context holding only ``dockerfile``."""
    data = dockerfile.encode()
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return context.getvalue()
