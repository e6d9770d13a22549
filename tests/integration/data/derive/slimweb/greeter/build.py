"""Generate the phrase table the service reads at start (about 1.5 MB, so completeness checks large files)."""

import json
from pathlib import Path

if __name__ == "__main__":
    phrases = {f"phrase-{n:06d}": f"greeting number {n} " * 3 for n in range(20000)}
    Path("phrases.json").write_text(json.dumps(phrases))
