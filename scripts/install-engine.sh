#!/usr/bin/env bash
# Install a current Docker engine with BuildKit (buildx) on Debian bookworm, as root.
# Bookworm's own docker.io is 20.10 (end of life, no buildx); trixie's docker.io 26.1,
# docker-cli and docker-buildx 0.13 install and run on bookworm. Trixie is added as an apt
# source pinned low (priority 100), so nothing else on the machine moves to it; only these
# packages are taken from it, with `-t trixie`. Existing images are kept.
set -euo pipefail
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-engine: needs root on Debian/Ubuntu; otherwise install Docker Engine >= 24 with the buildx plugin (https://docs.docker.com/engine/install/)" >&2
  exit 1
fi
. /etc/os-release
if [ "${VERSION_CODENAME:-}" = bookworm ]; then
  cat >/etc/apt/sources.list.d/imgexp-trixie.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  cat >/etc/apt/preferences.d/imgexp-trixie <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
  release=(-t trixie)
else
  release=()      # trixie and later ship a current docker.io and docker-buildx themselves
fi
echo "install-engine: installing docker.io, docker-cli, docker-buildx, containerd ${release[*]}"
apt-get update -qq
if [ ${#release[@]} -gt 0 ] && ! command -v dockerd >/dev/null; then
  # the checked path: bookworm's docker.io first (its dependencies from bookworm), then trixie's
  # packages over it, so that only these four packages come from trixie
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${release[@]}" \
  -o Dpkg::Options::=--force-confold docker.io docker-cli docker-buildx containerd >/dev/null
