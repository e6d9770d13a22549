"""Check what the service needs at start: the libpq it was built against, and its DSN."""

import os
import sys

import itsdangerous
import psycopg2

if __name__ == "__main__":
    dsn = os.environ["NOTES_DSN"]
    signer = itsdangerous.Signer("notes")
    print(f"libpq {psycopg2.__libpq_version__}, dsn {dsn}, {signer.sign(b'ok').decode()}")
    sys.exit(0 if psycopg2.__libpq_version__ > 0 else 1)
