"""The ratios a benchmark printed, set against those recorded in docs/benchmarks.json at the last release.

A ratio (imgexp's time over a baseline's in the same run) more than ``TOLERANCE`` worse
than the recorded one is flagged, and the benchmark exits 1; ``--record`` writes today's
ratios as the new record (at a release, with the figures in docs/benchmarks.md).
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

RECORD = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.json"
#: how much worse than recorded a ratio may get before it is flagged: 20 %
TOLERANCE = 0.20


def check(bench: str, ratios: dict[str, float], record: bool = False, path: Path = RECORD) -> int:
    """Print each ratio against its record; 1 when one got more than TOLERANCE worse, else 0.

    With ``record``, today's ratios are recorded for ``bench`` instead, each where it is better
    than (or not yet) recorded: a ratio that got worse keeps its record, so the guard goes on
    flagging it until it is won back.
    """
    recorded = json.loads(path.read_text()) if path.is_file() else {}
    before = recorded.get(bench, {}).get("ratios", {})
    if record:
        best = {name: min(value, before.get(name, value)) for name, value in ratios.items()}
        recorded[bench] = {"recorded_on": datetime.date.today().isoformat(), "ratios": best}
        path.write_text(json.dumps(recorded, indent=2) + "\n")
        print(f"\nrecorded in {path}: " + ", ".join(f"{name} {value:.2f}" for name, value in best.items()))
        kept = [name for name in ratios if best[name] < ratios[name]]
        if kept:
            print("kept the better record of (today's was worse): " + ", ".join(kept))
        return 0
    when = recorded.get(bench, {}).get("recorded_on", "never")
    print(f"\nagainst the ratios recorded in {path.name} ({when}); flagged: more than {TOLERANCE:.0%} worse")
    worse = []
    for name, value in ratios.items():
        then = before.get(name)
        if then is None:
            print(f"  {name:48} {value:5.2f}  (none recorded)")
            continue
        change = value / then - 1
        flag = change > TOLERANCE
        print(f"  {name:48} {value:5.2f}  recorded {then:5.2f}  {change:+6.1%}{'  WORSE' if flag else ''}")
        if flag:
            worse.append(name)
    if worse:
        print(f"\n{len(worse)} ratio(s) got more than {TOLERANCE:.0%} worse: {', '.join(worse)}")
    return 1 if worse else 0
