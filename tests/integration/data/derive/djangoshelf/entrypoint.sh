#!/bin/sh
set -e
python manage.py migrate --no-input >/dev/null
exec "$@"
