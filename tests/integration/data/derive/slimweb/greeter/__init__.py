"""A greeting service: Flask behind gunicorn, with a phrase table generated at build time."""
