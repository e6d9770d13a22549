"""A tiny notes service: its store is PostgreSQL (psycopg2, compiled against libpq)."""
