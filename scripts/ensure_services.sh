#!/usr/bin/env bash
# Makes sure Redis (always) and PostgreSQL (with "postgres" as an argument, plus the tests'
# own role `dser`) answer on 127.0.0.1, installing and starting what is missing. Idempotent.
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

if [ "${1:-}" = "postgres" ]; then
  if ! port_open 5432; then
    command -v pg_ctlcluster >/dev/null || apt_install postgresql
    version=$(ls /etc/postgresql | sort -n | tail -n 1)
    echo "Starting PostgreSQL $version on 127.0.0.1:5432"
    $sudo pg_ctlcluster --skip-systemctl-redirect "$version" main start
    wait_port 5432
  fi
  # The tests' own role (it creates and drops their databases); the superuser is left as it
  # is. Over TCP where the server trusts local connections, else as the postgres OS user.
  create_role="DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dser') THEN
    CREATE ROLE dser LOGIN PASSWORD 'dser' CREATEDB; END IF; END \$\$;"
  if ! psql -h 127.0.0.1 -U postgres -d postgres -w -q -c "$create_role" 2>/dev/null; then
    if [ -n "$sudo" ]; then echo "$create_role" | sudo -u postgres psql -q
    else echo "$create_role" | su postgres -c "psql -q"; fi
  fi
fi
