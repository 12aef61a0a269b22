#!/usr/bin/env bash
# The whole test suite, as the README says: installs what the tests need
# when it is missing (the real nginx and Apache httpd that the lparse tests
# start on 127.0.0.1, head and awk, man for the man pages, Debian's
# ClickHouse server (18.16) that tests/ecosystem_fleet.rs starts on
# 127.0.0.1; DuckDB and chdb in a Python virtual environment, target/venv;
# xxhsum, the reference XXH3 that hprobe's body_hash is checked against),
# then runs `cargo test --workspace`.
# Extra arguments go to cargo test.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for tool in nginx:/usr/sbin/nginx apache2:/usr/sbin/apache2 mawk:/usr/bin/mawk coreutils:/usr/bin/head \
        man-db:/usr/bin/man xxhash:/usr/bin/xxhsum \
        clickhouse-server:/usr/sbin/clickhouse-server clickhouse-client:/usr/bin/clickhouse-client; do
    [ -x "${tool#*:}" ] || missing+=("${tool%%:*}")
done
# Python's venv (Debian keeps ensurepip in python3-venv), for DuckDB and chdb.
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        echo "scripts/test.sh: the tests need ${missing[*]}; install them (Debian: apt-get install ${missing[*]})" >&2
        exit 2
    fi
    export DEBIAN_FRONTEND=noninteractive
    # Keep the packages' install scripts from starting the servers as
    # system services (on port 80, 9000...): the tests start their own.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}"
fi

# DuckDB and ClickHouse (chdb, in process), from PyPI, for tests/ecosystem_sql.rs
# (which finds them in target/venv, or at $LOGKIT_PYTHON).
if ! target/venv/bin/python -c 'import duckdb, chdb' 2>/dev/null; then
    python3 -m venv target/venv
    target/venv/bin/pip install --quiet --disable-pip-version-check duckdb chdb
fi

cargo test --workspace "$@"
