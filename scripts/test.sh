#!/usr/bin/env bash
# The whole test suite, as the README says: installs what the tests need
# when it is missing (the real nginx and Apache httpd that the lparse tests
# start on 127.0.0.1, head and awk, and xxhsum: the reference XXH3 that
# hprobe's body_hash is checked against), then runs `cargo test --workspace`.
# Extra arguments go to cargo test.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for tool in nginx:/usr/sbin/nginx apache2:/usr/sbin/apache2 mawk:/usr/bin/mawk coreutils:/usr/bin/head xxhash:/usr/bin/xxhsum; do
    [ -x "${tool#*:}" ] || missing+=("${tool%%:*}")
done
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        echo "scripts/test.sh: the tests need ${missing[*]}; install them (Debian: apt-get install ${missing[*]})" >&2
        exit 2
    fi
    export DEBIAN_FRONTEND=noninteractive
    # Keep the packages' install scripts from starting the servers as
    # system services on port 80: the tests start their own.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}"
fi

cargo test --workspace "$@"
