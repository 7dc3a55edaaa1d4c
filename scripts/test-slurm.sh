#!/usr/bin/env bash
# npm run test:slurm: the Slurm executor against a real one-node cluster (Debian's Slurm and
# MUNGE, installed when missing), started in a temporary folder and torn down afterwards,
# also when a test fails or the run is interrupted, checking that no daemon is left behind.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/slurm-cluster.sh ensure
[ -f dist/cli.js ] || npm run build
CLUSTER="$(mktemp -d "${TMPDIR:-/tmp}/ecvae-slurm-XXXXXX")"
teardown() {
  local rc=$?
  bash scripts/slurm-cluster.sh stop "$CLUSTER"
  # The daemons' pid files name what must be gone now.
  for f in "$CLUSTER/slurmctld.pid" "$CLUSTER/slurmd.pid" "$CLUSTER/munge/munged.pid"; do
    if [ -s "$f" ] && [ -d "/proc/$(cat "$f")" ]; then
      echo "test:slurm: $(basename "$f" .pid) (pid $(cat "$f")) is still running after the teardown" >&2
      rc=1
    fi
  done
  if [ "$rc" -ne 0 ]; then
    echo "test:slurm failed; the cluster's logs are in $CLUSTER/log" >&2
  else
    rm -rf "$CLUSTER"
  fi
  exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT TERM
started="$(bash scripts/slurm-cluster.sh start "$CLUSTER")"
export SLURM_CONF="${started#SLURM_CONF=}"
# Test files as arguments run those instead of test/slurm/*.test.ts.
[ $# -gt 0 ] || set -- test/slurm/*.test.ts
node --import tsx --test --test-reporter=spec --test-concurrency=1 "$@"
