"""Exceptions raised by imgexp: one base class, one subclass per failure a user can fix."""

from __future__ import annotations

from collections.abc import Sequence


class ImgexpError(Exception):
    """Base class of every error imgexp raises on purpose."""


class EngineUnavailable(ImgexpError):
    """No Docker engine answered at the address imgexp tried."""

    def __init__(self, docker_host: str, reason: str) -> None:
        self.docker_host = docker_host
        self.reason = reason
        super().__init__(
            f"No Docker engine answered at {docker_host} ({reason}). Start one "
            "(as root: `dockerd --iptables=false &`, or `systemctl start docker`; "
            "`bash scripts/setup.sh` does both), or point DOCKER_HOST at a running engine."
        )


class StrategyNotFound(ImgexpError):
    """A strategy was asked for but no Dockerfile.<strategy> exists."""

    def __init__(self, strategy: str, dockerfile: str, available: Sequence[str]) -> None:
        self.strategy = strategy
        self.dockerfile = dockerfile
        self.available = list(available)
        offered = ", ".join(self.available) or "none"
        super().__init__(
            f"Strategy {strategy!r} has no Dockerfile: {dockerfile} does not exist. "
            f"Strategies on offer: {offered}. Add a Dockerfile.{strategy} there or pick one of those."
        )


class DockerfilesNotFound(ImgexpError):
    """The folder of strategies does not exist."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        super().__init__(
            f"No folder of strategies at {folder}. imgexp reads dockerfiles/ from its checkout: "
            "install it from the repository with `pip install -e .`, or pass --dockerfiles DIR."
        )


class InvalidStrategy(ImgexpError):
    """A strategy's Dockerfile cannot be used (no FROM, or a base imgexp does not know)."""

    def __init__(self, dockerfile: str, problem: str) -> None:
        self.dockerfile = dockerfile
        self.problem = problem
        super().__init__(f"{dockerfile}: {problem}")


class RequirementsNotFound(ImgexpError):
    """The requirements file does not exist."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"Requirements file {path} does not exist. Pass --requirements with a pip requirements file.")


class NoStandinForPython(ImgexpError):
    """No registry image could be had and Debian ships no stand-in for this Python version."""

    def __init__(self, python: str, available: Sequence[str], why: str) -> None:
        self.python = python
        self.available = list(available)
        super().__init__(
            f"No base image for Python {python}: {why}. Offline stand-ins exist for Python "
            f"{', '.join(self.available)}; pass --python with one of those, or make the "
            f"official python:{python} images available (docker pull / docker load)."
        )


class BaseUnavailable(ImgexpError):
    """A base image could not be found locally, pulled, or replaced by a stand-in."""

    def __init__(self, kind: str, image: str, reason: str) -> None:
        self.kind = kind
        self.image = image
        self.reason = reason
        super().__init__(
            f"Base image {image} ({kind}) is not available: {reason}. Run where a registry is "
            "reachable, `docker load` the image first, or use --base-source standin "
            "(stand-ins exist for full and slim bases)."
        )


class LiteralBaseUnavailable(BaseUnavailable):
    """An image a project's FROM names literally (not python:<v>) is neither local nor pullable."""

    def __init__(self, image: str, reason: str) -> None:
        ImgexpError.__init__(
            self,
            f"Base image {image}, named by a FROM line, is not available: {reason}. `docker pull` or "
            f"`docker load` {image} first (imgexp uses such an image as it is, never a stand-in), or "
            "start the stage FROM python:<version>[-slim], for which imgexp has offline stand-ins.",
        )
        self.kind, self.image, self.reason = f"image:{image}", image, reason


class CaBundleNotFound(ImgexpError):
    """The CA bundle named for builds does not exist."""

    def __init__(self, path: str, source: str) -> None:
        self.path = path
        self.source = source
        super().__init__(
            f"CA bundle {path} (from {source}) does not exist. Pass --ca-bundle with an existing "
            "PEM file, or --ca-bundle '' to build without one."
        )


class StandinBootstrapFailed(ImgexpError):
    """Building a stand-in base failed: its root filesystem (mmdebstrap) or its recipe's build (CPython)."""

    def __init__(self, image: str, command: str, log_tail: str) -> None:
        self.image = image
        self.command = command
        self.log_tail = log_tail
        super().__init__(
            f"Bootstrapping stand-in {image} failed. Command: {command}\n"
            f"Last lines of its log:\n{log_tail}\n"
            "It needs root, mmdebstrap (apt-get install mmdebstrap), the docker CLI's buildx plugin and a reachable "
            "Debian mirror (IMGEXP_DEBIAN_MIRROR); `bash scripts/setup.sh` installs what is missing."
        )


class BuildFailed(ImgexpError):
    """A strategy's image did not build. ``imgexp.run`` keeps it as the strategy's ``failed`` row,
    its reason quoting ``said`` and naming the file that holds ``log``; the other strategies run."""

    def __init__(self, strategy: str, step: str, log: str, message: str, said: tuple[str, ...] = ()) -> None:
        self.strategy = strategy
        self.step = step
        self.log = log
        """The build's whole log."""
        self.message = message
        """The builder's own word on the failure (``exit code: 1``, BuildKit's ``failed to solve: ...``)."""
        self.said = said
        """The lines where the failing step's commands said what went wrong (imgexp.engine.buildlog)."""
        quoted = "".join(f"\n  {line}" for line in said)
        super().__init__(
            f"Strategy {strategy!r} failed to build at {step or 'an unknown step'}: {message}{quoted}\n"
            "Fix the step (the lines above are its own words), or leave the strategy out with --strategies."
        )


class RequirementNotOnIndex(BuildFailed):
    """pip could not find a requirement on the package index while building."""

    def __init__(
        self, strategy: str, step: str, log: str, message: str, said: tuple[str, ...], requirement: str
    ) -> None:
        self.requirement = requirement
        super().__init__(
            strategy,
            step,
            log,
            f"pip found no distribution for {requirement!r} on the package index; "
            f"check its name and version in the requirements file ({message})",
            said,
        )


class BuildkitUnavailable(ImgexpError):
    """BuildKit was asked for and the docker CLI's buildx plugin is not there."""

    def __init__(self) -> None:
        super().__init__(
            "BuildKit builds need the docker CLI with its buildx plugin, and `docker buildx version` fails here. "
            "Install it (Debian/Ubuntu: apt-get install docker-cli docker-buildx; Docker's own packages: "
            "docker-buildx-plugin; scripts/install-engine.sh does it on bookworm), or pass --builder classic."
        )


class EngineStopped(ImgexpError):
    """The Docker engine stopped answering in the middle of a build: the build's step did not fail."""

    def __init__(self, docker_host: str, strategy: str, step: str, reason: str) -> None:
        self.docker_host = docker_host
        self.strategy = strategy
        self.step = step
        self.reason = reason
        super().__init__(
            f"The Docker engine at {docker_host} stopped answering while building strategy {strategy!r} "
            f'at "{step or "its first step"}" ({reason}), so that step did not fail on its own. The strategies '
            "finished before it are kept: start the engine again and run the same command to resume from them."
        )


class LedgerNotWritable(ImgexpError):
    """imgexp cannot record the images it builds, which it needs to remove them again."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"Cannot record the images imgexp builds in {path} ({reason}); it needs them to remove "
            "the untagged images its builds leave. Set XDG_STATE_HOME to a writable folder."
        )


class ImageUnavailable(ImgexpError):
    """An image to inspect is not local, and reading it from its registry failed."""

    def __init__(self, image: str, reason: str) -> None:
        self.image = image
        self.reason = reason
        super().__init__(
            f"Image {image} is not local and could not be read from its registry. {reason} Or name an image "
            "`docker images` lists."
        )


class InvalidBudget(ImgexpError):
    """A rule of `imgexp check` is unknown, or its limit cannot be read."""

    def __init__(self, rule: str, value: str, problem: str) -> None:
        self.rule = rule
        self.value = value
        self.problem = problem
        super().__init__(f"Budget rule {rule} = {value!r}: {problem}")


class InvalidProject(ImgexpError):
    """A project's experiment definition (imgexp.toml) cannot be used."""

    def __init__(self, path: str, key: str, problem: str, fix: str) -> None:
        self.path = path
        self.key = key
        self.problem = problem
        super().__init__(f"{path}: {key}: {problem}. {fix} (see docs/projects.md)")


class StandinSourceUnavailable(ImgexpError):
    """CPython's source for a stand-in could not be fetched from Debian's mirror, or failed its checks."""

    def __init__(self, what: str, problem: str, fix: str) -> None:
        self.what = what
        self.problem = problem
        super().__init__(f"CPython's source for the stand-ins: {what}: {problem}. {fix}")
