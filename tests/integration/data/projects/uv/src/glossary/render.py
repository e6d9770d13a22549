"""Render terms.md to index.html in the folder given: run once, at build time."""

import sys
from importlib.resources import files
from pathlib import Path

import markdown


def main() -> None:
    site = Path(sys.argv[1])
    site.mkdir(parents=True, exist_ok=True)
    body = markdown.markdown(files("glossary").joinpath("terms.md").read_text())
    (site / "index.html").write_text(f"<!doctype html>\n<title>glossary</title>\n{body}\n")
    print(f"rendered {site / 'index.html'}")


if __name__ == "__main__":
    main()
