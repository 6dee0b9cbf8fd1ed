#!/usr/bin/env bash
# Kill -9 trials: `scripts/kill-trials.sh [SEEDS] [FIRST_SEED] [TEST_FILTER]`.
# Migrates a generated estate (532 objects) into the API server test double, kills the binary with
# SIGKILL at a seeded random moment, reruns to completion and compares with a clean run; the same
# for a killed `backup` (no backup may look complete without verifying). Each seed prints one line;
# the first failing seed stops the run with its reason. Debug build: about 40 s per migrate seed.
set -euo pipefail
cd "$(dirname "$0")/.."
export KSDM_KILL_SEEDS="${1:-100}"
export KSDM_KILL_FIRST_SEED="${2:-1}"
cargo test -p ks-devops-migrate --test cli_kill_trials -- --nocapture --test-threads 1 ${3:+"$3"}
