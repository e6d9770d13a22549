#!/bin/sh
# Runs whatever the container was given, after saying where the service listens.
set -e
echo "yamlver in ${APP_HOME}, as $(id -un)"
exec "$@"
