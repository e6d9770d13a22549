"""Serve GET /today on port 8004 with bottle's own server."""

import datetime

from bottle import Bottle, run

QUOTES = ["Simple is better than complex.", "Readability counts.", "Now is better than never."]
app = Bottle()


@app.get("/today")
def today() -> dict:
    return {"quote": QUOTES[datetime.date.today().toordinal() % len(QUOTES)]}


run(app, host="0.0.0.0", port=8004, quiet=True)
