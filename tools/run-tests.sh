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

run_pytest() {  # run_pytest ARGS...: pytest, with "nothing collected" an error
    local rc=0
    "$VENV/bin/python" -m pytest -ra --durations=25 "$@" || rc=$?
    if [ $rc -eq 5 ]; then
        # pytest's "no tests collected": a selection that runs nothing is an
        # error for us, never a pass and never a silent 5.
        echo "run-tests: no tests were collected for: $*" >&2
        rc=1
    fi
    return $rc
}

workers=()
if [ -n "${NOVALITE_TEST_WORKERS:-}" ]; then
    workers=(-n "$NOVALITE_TEST_WORKERS")
fi

if [ $# -gt 0 ]; then
    run_pytest "${workers[@]}" "$@"
    exit $?
fi

# The whole suite: one pytest process per layer, unit tests first (fast
# feedback), so no layer sees process-wide state (oslo.config's CONF,
# the objects' indirection API) another one left behind. Every layer runs
# even when an earlier one failed; the exit code is the first failure's.
status=0
for layer in tests/unit tests/functional tests/e2e; do
    echo "run-tests: === $layer ===" >&2
    rc=0
    run_pytest "${workers[@]}" "$layer" || rc=$?
    if [ $rc -ne 0 ] && [ $status -eq 0 ]; then
        status=$rc
    fi
done
exit $status
