"""A plan written as a Dockerfile: the user's Dockerfile unchanged as the builder, then the derived final stage."""

from __future__ import annotations

import json
import re
import shlex

from ..dockerfile import parse_text
from .holdings import Config
from .plan import BUILDER, REMOVALS, SCRATCH_TMP, STRIP, Plan

_FROM = re.compile(r"^(\s*FROM\s+(?:--\S+\s+)*\S+)(?:\s+AS\s+(\S+))?\s*$", re.IGNORECASE)
_DESCRIPTIONS = {
    "multi-stage": "Your Dockerfile as the builder; what its layers added that the service needs, on the slim image.",
    "distilled": "As multi-stage, without bytecode caches, test suites, docs, pip and debug symbols.",
    "minimal": "What the service needs on FROM scratch: interpreter, stdlib, libraries, certificates.",
}


def builder_text(dockerfile: str, target: str | None = None) -> tuple[str, str]:
    """The user's Dockerfile with the stage it builds (``target``, else the last, as BuildKit's parser reads
    them) named where it has no name, and that name."""
    text = dockerfile.rstrip("\n") + "\n"
    if target:
        return text, target
    last = parse_text(text).stages[-1]
    if last.name:
        return text, last.name
    lines = text.splitlines()
    match = _FROM.match(lines[last.line - 1])
    if match is None:
        raise ValueError(f"line {last.line} is a FROM imgexp cannot name: add AS <name> to it")
    lines[last.line - 1] = f"{match.group(1)} AS {BUILDER}"
    return "\n".join(lines) + "\n", BUILDER


def render(plan: Plan, dockerfile: str, config: Config, target: str | None = None) -> str:
    """The derived Dockerfile of ``plan``: the user's ``dockerfile`` (its stage ``target``, else its last) as the
    builder, then the final stage."""
    builder, name = builder_text(dockerfile, target)
    source = plan.source.replace(BUILDER, name) if plan.source.startswith(BUILDER) else plan.source
    parts = [
        f"# imgexp.description: {_DESCRIPTIONS[plan.name]}\n",
        "# imgexp derived this file from your Dockerfile and the image it builds (imgexp run --project).\n",
        "# ---- your Dockerfile, unchanged but for a name of its final stage: the builder ----\n",
        builder,
        f"\n# ---- imgexp: {plan.name} ----\n",
    ]
    if plan.removals:
        parts.append(_removal_stage(plan, name, source))
    parts.append(f"FROM {plan.base}\n")
    if plan.packages:
        parts.append(
            "# shared libraries the copied extensions and executables load that this base lacks "
            "(their Debian packages, as the builder's dpkg database names them)\n"
            "RUN apt-get update && apt-get install -y --no-install-recommends "
            + " ".join(plan.packages)
            + " && rm -rf /var/lib/apt/lists/*\n"
        )
    if plan.account and plan.base != "scratch":
        passwd, group = plan.account
        parts.append(
            f"# the account USER runs as, as the builder has it\n"
            f"RUN echo {shlex.quote(passwd)} >> /etc/passwd && echo {shlex.quote(group)} >> /etc/group\n"
        )
    if plan.base == "scratch":
        parts.append(
            f"# everything the stage {source} gathered above, at the same paths\nCOPY --from={source} /imgexp-root/ /\n"
        )
    else:
        parts += [_copy(source, copy.paths, copy.why) for copy in plan.copies]
    parts.append(_config(config))
    return "".join(parts)


def description(name: str) -> str:
    return _DESCRIPTIONS[name]


def _copy(source: str, paths: tuple[str, ...], why: str) -> str:
    """COPY lines of ``paths`` to the same places: one line when they share a folder."""
    folders = {p.rsplit("/", 1)[0] + "/" for p in paths}
    if len(paths) == 1:
        return f"# {why}\nCOPY --from={source} {paths[0]} {paths[0]}\n"
    if len(folders) == 1:
        return f"# {why}\nCOPY --from={source} {' '.join(paths)} {folders.pop()}\n"
    return f"# {why}\n" + "".join(f"COPY --from={source} {p} {p}\n" for p in paths)


def _removal_stage(plan: Plan, name: str, stage: str) -> str:
    """The stage that gathers (minimal) or trims (distilled) what is copied, in the builder's own shell."""
    kept = [p for copy in plan.copies for p in copy.paths]
    lines = [
        f"FROM {name} AS {stage}\n",
        "# root here, whatever USER the builder ends with: this stage only gathers files\nUSER root\n",
    ]
    if plan.base == "scratch":
        gather = [f"# {copy.why}\n    {' '.join(p.lstrip('/') for p in copy.paths)} \\\n" for copy in plan.copies]
        lines.append(
            "# gathered with their links as links, at the same paths (tar keeps both)\n"
            "RUN mkdir /imgexp-root && tar -C / -cf - \\\n" + "".join(gather) + "    | tar -C /imgexp-root -xf -\n"
            f"# {SCRATCH_TMP}\nRUN mkdir -m 1777 /imgexp-root/tmp\n"
        )
        where = "/imgexp-root"
    else:
        where = " ".join(kept)
    if plan.base_owned:
        lines.append(
            f"# the builder's base put these in the site folders and {plan.base} has them at the same place\n"
            "RUN rm -rf \\\n" + " \\\n".join(f"    {path}" for path in plan.base_owned) + "\n"
        )
    finds = " ".join(f"\\( {test} \\) -prune -exec rm -rf {{}} + -o" for test, _ in REMOVALS)
    why = "; ".join(why for _, why in REMOVALS)
    lines.append(
        f"# delete what the service does not need: {why}\n"
        f"RUN find {where} {finds} -true \\\n"
        f"    && for pip in $(find {where} -maxdepth 6 -type d -name pip -path '*-packages/pip'); do "
        f"grep -rlqs '^Requires-Dist: pip\\b' $(dirname $pip)/*.dist-info/METADATA"
        " || rm -rf $pip $(dirname $pip)/pip-*.dist-info; done\n"
    )
    lines.append(
        f"# {STRIP}\n"
        f"RUN if command -v strip >/dev/null; then find {where} -name '*.so*' -type f -not -path '*.libs/*' "
        f"-exec strip --strip-unneeded {{}} + ; fi\n"
    )
    return "".join(lines)


def _config(config: Config) -> str:
    """The final stage's configuration, as the builder's final stage set it."""
    lines = []
    for key, value in config.env:
        lines.append(f"ENV {key}={json.dumps(value)}\n")
    if config.workdir:
        lines.append(f"WORKDIR {config.workdir}\n")
    for port in config.exposed:
        lines.append(f"EXPOSE {port}\n")
    for key, value in config.labels:
        lines.append(f"LABEL {json.dumps(key)}={json.dumps(value)}\n")
    if config.user:
        lines.append(f"USER {config.user}\n")
    if config.healthcheck:
        lines.append(_healthcheck(config.healthcheck))
    if config.entrypoint:
        lines.append(f"ENTRYPOINT {json.dumps(list(config.entrypoint))}\n")
    if config.cmd:
        lines.append(f"CMD {json.dumps(list(config.cmd))}\n")
    return "# the builder's final stage's configuration\n" + "".join(lines)


def _healthcheck(health: dict[str, object]) -> str:
    test = list(health.get("Test") or [])  # type: ignore[call-overload]
    if test[:1] == ["NONE"]:
        return "HEALTHCHECK NONE\n"
    flags = ""
    for key, flag in (("Interval", "interval"), ("Timeout", "timeout"), ("StartPeriod", "start-period")):
        if health.get(key):
            flags += f"--{flag}={int(health[key]) // 1_000_000_000}s "  # type: ignore[call-overload]
    if health.get("Retries"):
        flags += f"--retries={health['Retries']} "
    command = json.dumps(test[1:]) if test[0] == "CMD" else str(test[1])
    return f"HEALTHCHECK {flags}CMD {command}\n"
