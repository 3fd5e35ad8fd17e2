#!/usr/bin/env bash
# Makes sure Redis (always) and PostgreSQL (with "postgres" as an argument) answer on
# 127.0.0.1, installing and starting them when they are missing. Idempotent.
set -euo pipefail
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  for _ in $(seq 1 30); do port_open "$1" && return 0; sleep 1; done
  echo "service on port $1 did not start" >&2; return 1
}

apt_install() {
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! port_open 6379; then
  command -v redis-server >/dev/null || apt_install redis-server
  echo "Starting Redis on 127.0.0.1:6379"
  $sudo redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  wait_port 6379
fi

if [ "${1:-}" = "postgres" ] && ! port_open 5432; then
  command -v pg_ctlcluster >/dev/null || apt_install postgresql
  version=$(ls /etc/postgresql | sort -n | tail -n 1)
  echo "Starting PostgreSQL $version on 127.0.0.1:5432"
  $sudo pg_ctlcluster --skip-systemctl-redirect "$version" main start
  wait_port 5432
  # A fresh Debian cluster asks TCP clients for a password; the test URL carries this one.
  as_postgres="su postgres -c"; [ -n "$sudo" ] && as_postgres="sudo -u postgres sh -c"
  $as_postgres "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\""
fi
