#!/bin/sh
# Entrypoint guard for the third-party containers of docker-compose.yml (TimescaleDB, Grafana), which would happily
# start with an empty or example password: `check-secrets.sh VAR... -- command args` refuses to exec the command while
# any VAR is empty or a well-known placeholder. The service itself checks its own SW_* secrets (services/config).
set -eu
names=""
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
  names="$names $1"
  shift
done
if [ "$#" -eq 0 ]; then
  echo "check-secrets.sh: usage: check-secrets.sh VAR... -- command [args]" >&2
  exit 64
fi
shift
bad=0
for name in $names; do
  value=$(eval "printf '%s' \"\${$name:-}\"")
  normal=$(printf '%s' "$value" | tr 'A-Z' 'a-z' | tr -d ' _.:-')
  case "$normal" in
    "")
      echo "refusing to start: $name is empty; set it in .env (see README, Production)" >&2
      bad=1 ;;
    changeme*|changethis|changeit|replaceme*|password|passw0rd|secret|admin|administrator|default|example|test|postgres|root|grafana|smartward|timescale|123456|12345678|qwerty|letmein)
      echo "refusing to start: $name is a well-known placeholder value; set a real secret (e.g. openssl rand -hex 24)" >&2
      bad=1 ;;
  esac
done
[ "$bad" -eq 0 ] || exit 78
exec "$@"
