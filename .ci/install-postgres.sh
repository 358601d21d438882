#!/bin/bash
# Installs the PostgreSQL server binaries that test/services/postgres.ts runs
# as a throwaway cluster (temp directory, loopback, ephemeral port). Debian's
# `postgresql` package, non-interactive and idempotent: does nothing when
# initdb and pg_ctl are already under /usr/lib/postgresql/<version>/bin.
#
# The tests need no system cluster, so none is created (createcluster.conf)
# and any that runs (a package that created and started `main` anyway, or a
# machine that had one) is stopped and set to manual start, so it holds no
# port, memory or shared buffers while the tests run.
set -euo pipefail

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

have_binaries() {
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then return 0; fi
  done
  return 1
}

if have_binaries; then
  echo "install-postgres: already installed ($(ls -d /usr/lib/postgresql/*/bin | tr '\n' ' '))"
else
  # Before the package exists, tell postgresql-common not to create `main`.
  if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    $SUDO mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Skip the update when the package lists already know postgresql (saves ~10 s).
  if ! apt-cache show postgresql >/dev/null 2>&1; then
    $SUDO apt-get update -qq
  fi
  # UCF_FORCE_CONFFOLD: postgresql-common installs createcluster.conf with
  # ucf, which must keep ours rather than ask or replace it.
  $SUDO env DEBIAN_FRONTEND=noninteractive UCF_FORCE_CONFFOLD=1 apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    postgresql
  have_binaries || { echo "install-postgres: initdb/pg_ctl missing after install" >&2; exit 1; }
  echo "install-postgres: installed $(ls -d /usr/lib/postgresql/*/bin | tr '\n' ' ')"
fi

# Stop system clusters (pg_lsclusters: version, name, port, status, ...).
if command -v pg_lsclusters >/dev/null 2>&1; then
  pg_lsclusters --no-header 2>/dev/null | while read -r version name _port status _rest; do
    if [ "$status" = "online" ] || [[ "$status" == online,* ]]; then
      echo "install-postgres: stopping system cluster $version/$name"
      $SUDO pg_ctlcluster "$version" "$name" stop --mode fast || true
    fi
    conf="/etc/postgresql/$version/$name/start.conf"
    if [ -f "$conf" ] && ! grep -qx manual "$conf"; then
      echo manual | $SUDO tee "$conf" >/dev/null
    fi
  done
fi
