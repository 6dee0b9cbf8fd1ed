#!/usr/bin/env bash
# The lints CI runs before the tests: formatting, clippy with warnings as errors, licences / bans /
# sources (cargo-deny; the advisory database cannot be fetched here, so advisories are not
# checked), and unused dependencies (cargo-machete). Installs the two cargo tools on a bare machine.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in cargo-deny cargo-machete; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "installing $tool (once per machine)" >&2
    cargo install --locked "$tool" >/dev/null
  fi
done
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo deny check licenses bans sources
cargo machete
