"""The service: GET / answers with $GREETING and the size of the generated phrase table."""

import json
import os
from pathlib import Path

from flask import Flask

PHRASES = json.loads((Path(__file__).parent.parent / "phrases.json").read_text())
app = Flask(__name__)


@app.get("/")
def index() -> str:
    return f"{os.environ['GREETING']} ({len(PHRASES)} phrases)"
