"""The results table: its columns, building it from rows, reading it back, writing it atomically.

Every file is replaced atomically (written beside, then renamed), so nothing is lost when
a run is interrupted.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

DEFAULT_OUT = Path("reports") / "writeup"

#: the columns of results.csv, in order, and what each holds
COLUMNS: dict[str, str] = {
    "strategy": "the strategy: dockerfiles/Dockerfile.<strategy>",
    "description": "the Dockerfile's imgexp.description header",
    "status": (
        "ok (built and measured; verified says whether it works), failed (its build failed), or not-run "
        "(a base it needs cannot be had here); reason says why when not ok"
    ),
    "reason": (
        "failed: the failing step, then the lines where its command said what went wrong (compiler, pip, apt, "
        "shell), then the path of its whole build log; not-run: the base that cannot be had"
    ),
    "image": "tag of the built image",
    "image_id": "id of the built image",
    "size_bytes": (
        "image size as `docker images` shows it on overlay2 (docker image inspect .Size); on the containerd "
        "store, whose Size is the compressed content, the layers' files summed as overlay2 counts them"
    ),
    "size": "size_bytes in docker's units",
    "vs_baseline_pct": "change of size_bytes against the baseline strategy (base; a project's first strategy), in %",
    "base_kind": "kind of base the final stage starts from: full, slim, alpine, scratch, or image (a project's own)",
    "base_image": "the base image's reference",
    "base_id": "the base image's id",
    "base_digest": "the base's repository digest, or its id for a stand-in",
    "base_standin": "True when a base of any stage is an offline stand-in, not the official image",
    "stage_bases": (
        "every base any stage starts FROM (builder stages too): reference (short id, size, stand-in or not); "
        "`scratch` when a stage starts from nothing"
    ),
    "base_asked": (
        "the images a project's stages start FROM, as BuildKit evaluates its ARGs (python:3.11.9-slim-bookworm, "
        "python:slim): what was asked, where base_image and stage_bases say what was used; empty for imgexp's own"
    ),
    "base_bytes": "size of the base image (on the containerd store: its layers, counted as size_bytes)",
    "added_bytes": "size_bytes minus base_bytes",
    "layers": "filesystem layers of the image, base included",
    "compressed_bytes": (
        "pull size: each distinct layer gzip-compressed, summed (per layer: <out>/layers/<strategy>.csv)"
    ),
    "compressed": "compressed_bytes in docker's units",
    "compressed_exact": "True when compressed_bytes is the size of compressed blobs; False when it is an estimate",
    "compressed_method": (
        "how compressed_bytes was found: gzip level 6 (the push default) of each layer tar, or blob sizes "
        "(the containerd content store's compressed blobs), or both (say which), or with --push the layer "
        "sizes in the registry's manifest"
    ),
    "estimated_compressed_bytes": (
        "with --push: the gzip estimate of compressed_bytes, which the manifest's exact figure replaced"
    ),
    "pushed": "with --push: the image in the registry, as registry/repository@manifest digest",
    "layers_read_from": (
        "where the layer tars were read: `docker save` (streamed; on the containerd store, the content "
        "store's blobs), or the engine's overlay2 layer store (the same bytes from tar-split and the "
        "layer's files, without save's temporary copy)"
    ),
    "image_store": (
        "where the engine keeps images: overlay2 (the graph driver) or containerd (the containerd "
        "snapshotter's image store, default since Docker 29)"
    ),
    "unique_compressed_bytes": (
        "compressed bytes of the layers not shared with the base: what a pull of this image adds"
    ),
    "wasted_bytes": "file bytes in a layer that a later layer overwrote or deleted, each hidden copy counted once",
    "efficiency": "1 - wasted_bytes / bytes of regular files summed over all layers (imgexp.measure.waste)",
    "site_packages_bytes": (
        "bytes of every file under site-packages/dist-packages (per package: <out>/packages/<strategy>.csv)"
    ),
    "pycache_bytes": "of site_packages_bytes: __pycache__ directories and .pyc files",
    "tests_bytes": "of site_packages_bytes: files under tests/ or test/ directories",
    "extensions_bytes": "of site_packages_bytes: compiled extensions and vendored shared libraries (.so)",
    "build_seconds": (
        "wall time of the build that made the image (cached steps make it short); failed: until it failed"
    ),
    "cold_build_seconds": "with --timings: the build without any cache",
    "warm_build_seconds": (
        "with --timings: a rebuild with every step cached (a second one when the first still ran a step); empty "
        "when both ran steps (the engine's build cache did not keep them)"
    ),
    "changed_build_seconds": (
        "with --timings: a rebuild, cache on, after one requirement was added to requirements.txt "
        "(imgexp.experiment.CHANGED_REQUIREMENT; empty when the context has no requirements.txt)"
    ),
    "build_log": "the whole log of the strategy's last build, in the results folder: logs/<strategy>.log",
    "builder": "buildkit (docker buildx build) or classic (the Engine API's builder, through docker-py)",
    "frontend": (
        "BuildKit only: how the Dockerfile was read when not as it asked, e.g. its `# syntax=` image could not "
        "be fetched and the engine's built-in frontend read it; empty otherwise"
    ),
    "lint_findings": (
        "hadolint's findings on the strategy's Dockerfile, listed in <out>/lint/<strategy>.csv (imgexp.lint); "
        "empty when hadolint is not installed. Not a gate"
    ),
    "build_steps": "Dockerfile steps run",
    "cached_steps": "steps the engine took from its build cache",
    "reused": "True when this run reused the row of an earlier run",
    "verified": "True when every requirement imported inside the image",
    "verify_error": "the first failing import of each failing requirement; a project's first failing verify command",
    "verify_output": "a project's verify commands: each as `$ command (exit N)` and the tail of its output",
    "not_checked": "requirements whose environment marker is false in the image (pip skips them), space-separated",
    "python_version": "the Python version inside the image",
    "complete": (
        "a run that derives strategies (imgexp.derive): True when the image holds every distribution of the first "
        "strategy's pip_freeze its base does not hold, at its version, and every file of 1 MB or more under its "
        "WORKDIR; a row that is not complete is never recommended"
    ),
    "missing": "what a row that is not complete lacks: name==version of each distribution, then each large file",
    "packages": "number of distributions installed (see pip_freeze)",
    "pip_freeze": "name==version of every distribution inside the image, space-separated",
    "measured_at": "when the row was measured (UTC, ISO 8601)",
    "engine_version": "the Docker engine the row was measured on (a reused row keeps its own)",
    "key": "digest of everything that decides the image; a rerun with the same key is reused",
}

_TYPED = {
    **dict.fromkeys(
        [
            "size_bytes",
            "base_bytes",
            "added_bytes",
            "layers",
            "compressed_bytes",
            "estimated_compressed_bytes",
            "unique_compressed_bytes",
            "wasted_bytes",
            "site_packages_bytes",
            "pycache_bytes",
            "tests_bytes",
            "extensions_bytes",
            "build_steps",
            "cached_steps",
            "lint_findings",
            "packages",
        ],
        "Int64",
    ),
    **dict.fromkeys(
        [
            "vs_baseline_pct",
            "efficiency",
            "build_seconds",
            "cold_build_seconds",
            "warm_build_seconds",
            "changed_build_seconds",
        ],
        "float64",
    ),
    **dict.fromkeys(["base_standin", "compressed_exact", "reused", "verified", "complete"], "boolean"),
}
#: each column's pandas dtype, nullable so that a column's type never depends on the other rows
#: (a strategy not run has no sizes): integers stay integers in results.csv; the rest is text
DTYPES: dict[str, str] = {column: _TYPED.get(column, "string") for column in COLUMNS}


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; results are for everyone to read
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(path: Path, data: Any) -> None:
    write_atomic(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    write_atomic(path, frame.to_csv(index=False))


def load_results(out: str | Path = DEFAULT_OUT) -> pd.DataFrame:
    """The results of an earlier run, with its provenance in ``attrs["provenance"]``.

    Parameters
    ----------
    out
        The run's results folder: the one holding results.json.
    """
    data = read_json(Path(out) / "results.json")
    return results_frame(data["rows"], data["provenance"])


def results_frame(rows: list[dict[str, Any]], provenance: dict[str, Any]) -> pd.DataFrame:
    """The tidy table: one row per strategy, the COLUMNS in order, each of its DTYPES."""
    frame = pd.DataFrame([{c: row.get(c) for c in COLUMNS} for row in rows], columns=list(COLUMNS), dtype=object)
    for listed in ("pip_freeze", "not_checked"):
        frame[listed] = frame[listed].map(lambda f: " ".join(f) if isinstance(f, list) else f)
    frame = frame.astype(DTYPES)
    baseline_name = provenance.get("baseline") or "base"
    baseline = frame.loc[(frame["strategy"] == baseline_name) & (frame["status"] == "ok"), "size_bytes"]
    if not baseline.empty:
        frame["vs_baseline_pct"] = (frame["size_bytes"].astype("float64") / float(baseline.iloc[0]) - 1.0) * 100.0
    frame.attrs["provenance"] = provenance
    return frame


def write_results(out: Path, rows: list[dict[str, Any]], provenance: dict[str, Any]) -> None:
    frame = results_frame(rows, provenance)
    write_csv(out / "results.csv", frame)
    write_json(out / "results.json", {"provenance": provenance, "columns": COLUMNS, "rows": rows})


def failed(results: pd.DataFrame) -> pd.DataFrame:
    """The rows whose build failed (status failed)."""
    return results[results["status"] == "failed"].reset_index(drop=True)


def measured(results: pd.DataFrame) -> pd.DataFrame:
    """The rows that were built and measured (status ok)."""
    return results[results["status"] == "ok"].reset_index(drop=True)
