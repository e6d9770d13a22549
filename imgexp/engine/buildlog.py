"""A failed build's log: the lines where the failing command said what went wrong.

Both builders hand over the failing step's own output (BuildKit: the lines of its vertex,
``#8 0.424 ...``; the classic builder: the lines after its ``Step N/M`` line), never
BuildKit's Dockerfile excerpt or summary. ``quoted`` picks from that output the lines the
tools themselves write when they fail, in order, each once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: how many lines a reason quotes at most: the first of them name the cause
QUOTED_LINES = 12
#: when no line says "error", the failing step's last lines of output are quoted instead
FALLBACK_LINES = 5
#: terminal colours: the classic builder wraps a step's stderr in them
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: a line where a tool says what went wrong, and which tool writes it so
_SAYS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("compiler, linker (`error:`, `fatal error:`), pip's `error:`", re.compile(r"(?:^|\s|:)(?:fatal )?error:", re.I)),
    ("pip (`ERROR: ...`), apk", re.compile(r"^ERROR: ")),
    ("pip's `\u00d7 ... did not run successfully` block", re.compile("^[\u00d7\u2502] ")),
    # BuildKit may split apt's stderr "E" from its ": ..." when stdout writes between them
    ("apt (`E: ...`)", re.compile(r"^E?: ")),
    ("a shell: a command that is not there", re.compile(r"(?::|^)\s*(?:command )?not found$")),
    ("make", re.compile(r"^make(?:\[\d+\])?: \*\*\* ")),
    ("the linker: a library that is not there", re.compile(r"cannot find -l\S+")),
    ("Python: the last line of a traceback", re.compile(r"^(?:[A-Za-z_][\w.]*)?(?:Error|Exception): ")),
)
#: lines that match the above and say nothing: pip's wrapper of a subprocess's failure
_RUN_FAILED = re.compile(
    r"(?:failed to solve: )?(?:process \".*\" did not complete successfully: exit code: "
    r"|The command '.*' returned a non-zero code: )(\d+)",
    re.DOTALL,
)
_NOISE = re.compile(r"^error: subprocess-exited-with-error$")
#: what a build says when the machine, not its inputs, failed it: the disk, the network
_MACHINE = re.compile(
    r"no space left on device|You don't have enough free space|Temporary failure (?:in name )?resolving"
    r"|Could not resolve|Name or service not known|Connection (?:refused|reset|timed out)|Read timed out"
    r"|Network is unreachable|failed to fetch|Could not connect to",
    re.I,
)


#: BuildKit's plain progress: a line a step's command wrote (``#8 0.424 ...``), and a step's failure
_VERTEX_OUTPUT = re.compile(r"^#(\d+) \d+\.\d+ ?(.*)$")
_VERTEX_ERROR = re.compile(r"^#(\d+) ERROR: ")
#: the classic builder's log: a step's first line, and its own lines between a step's output lines
_CLASSIC_STEP = re.compile(r"^Step \d+/\d+ : ")
_CLASSIC_SAYS = re.compile(r"^\s*---> |^Removing intermediate container |^Successfully (?:built|tagged) ")


def buildkit_output(lines: Sequence[str]) -> list[str]:
    """The failing step's own output in BuildKit's plain progress: the lines of the vertex whose
    ``#N ERROR:`` line says it failed (not BuildKit's excerpt of them, nor the Dockerfile's)."""
    failing = [m.group(1) for line in lines if (m := _VERTEX_ERROR.match(line))]
    if not failing:
        return []
    return [m.group(2) for line in lines if (m := _VERTEX_OUTPUT.match(line)) and m.group(1) == failing[-1]]


def classic_output(lines: Sequence[str]) -> list[str]:
    """The failing step's own output in the classic builder's log: the lines after its last ``Step N/M``."""
    starts = [n for n, line in enumerate(lines) if _CLASSIC_STEP.match(line)]
    after = lines[starts[-1] + 1 :] if starts else lines
    return [line for line in after if not _CLASSIC_SAYS.match(line)]


def plain(line: str) -> str:
    """A log line without terminal colours or trailing space."""
    return _ANSI.sub("", line).rstrip()


def quoted(output: Sequence[str]) -> tuple[str, ...]:
    """The lines of a failed step's ``output`` where its commands said what went wrong, stripped of
    indentation, each once, at most QUOTED_LINES; the last FALLBACK_LINES lines when none does."""
    said: list[str] = []
    for line in output:
        text = plain(line).strip()
        if text and text not in said and not _NOISE.match(text) and any(p.search(text) for _, p in _SAYS):
            said.append(text)
    if said:
        return tuple(said[:QUOTED_LINES])
    lines = [plain(line).strip() for line in output if plain(line).strip()]
    return tuple(lines[-FALLBACK_LINES:])


def exit_code(message: str) -> str:
    """``exit code: N`` when ``message`` is either builder's own word on a failed RUN step (BuildKit's
    ``process "..." did not complete successfully``, the classic ``The command '...' returned a non-zero
    code``), which repeats the step; else the message as it is."""
    found = _RUN_FAILED.fullmatch(message)
    return f"exit code: {found.group(1)}" if found else message


def the_machines_fault(reason: str) -> bool:
    """True when a failure's reason says the machine failed the build (a full disk, a network down), not its
    inputs: the same inputs may build another time."""
    return _MACHINE.search(reason) is not None
