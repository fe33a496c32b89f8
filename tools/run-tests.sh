#!/bin/bash
# The test command: make sure RabbitMQ, MariaDB and the venv are there
# (tools/install-deps.sh), then run pytest from the venv.
#
#   tools/run-tests.sh                  # the whole suite
#   tools/run-tests.sh tests/unit -k rpc   # any pytest arguments
#
# Environment: NOVALITE_TEST_WORKERS=N runs pytest-xdist with N workers.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
tools/install-deps.sh
VENV=${NOVALITE_VENV:-$REPO/.venv}

args=("$@")
[ ${#args[@]} -gt 0 ] || args=(tests)
if [ -n "${NOVALITE_TEST_WORKERS:-}" ]; then
    args=(-n "$NOVALITE_TEST_WORKERS" "${args[@]}")
fi

set +e
"$VENV/bin/python" -m pytest -ra --durations=25 "${args[@]}"
rc=$?
set -e
if [ $rc -eq 5 ]; then
    # pytest's "no tests collected": a selection that runs nothing is an
    # error for us, never a pass and never a silent 5.
    echo "run-tests: no tests were collected for: ${args[*]}" >&2
    exit 1
fi
exit $rc
