#!/bin/bash
# Installs Debian's docker-registry (CNCF distribution 2.8), the reference
# registry that `npm run bench -- --compare` starts on loopback and that
# test/bench/bench-cli.test.ts runs --compare against. Non-interactive and
# idempotent: does nothing when docker-registry is already on PATH. The
# package's own service is not needed and is not started.
set -euo pipefail

if command -v docker-registry >/dev/null 2>&1; then
  echo "install-docker-registry: already installed ($(docker-registry --version))"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-cache show docker-registry >/dev/null 2>&1; then
  $SUDO apt-get update -qq
fi
$SUDO apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  docker-registry
# The package may start its own registry on :5000; the bench starts its own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker-registry 2>/dev/null; then
  $SUDO systemctl disable --now docker-registry || true
fi
echo "install-docker-registry: installed $(docker-registry --version)"
