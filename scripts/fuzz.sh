#!/usr/bin/env bash
# Coverage-guided fuzzing on the stable toolchain with cargo-afl (AFL++):
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# Installs cargo-afl and builds AFL++'s runtime when missing, builds the instrumented targets in
# fuzz/ (its own target/), writes the seed corpus (sample/, a generated estate, and
# ../shared/fixtures when present) into fuzz/target/seeds, runs each target for the given time and
# prints executions, coverage (edges, bitmap %) and crashes per target. Crashing inputs are left in
# fuzz/target/afl/<target>/default/crashes/: copy them to crates/fuzz-targets/regressions/<target>/
# (the replay test runs them on every `cargo test`).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${1:-60}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(xml_dom job_xml folder_credentials mysqldump jenkins_secret tarball)

command -v cargo-afl >/dev/null || cargo install --locked cargo-afl
cargo afl config --build >/dev/null 2>&1 || true   # no-op when AFL++ is already built
(cd fuzz && cargo afl build --release)
cargo run -q -p ksdm-fuzz-targets --bin ksdm-fuzz-seeds -- fuzz/target/seeds

export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CRASHES=1
printf '%-20s %8s %12s %10s %8s %8s %8s\n' target seconds execs execs/s edges bitmap crashes
for t in "${TARGETS[@]}"; do
  out="fuzz/target/afl/$t"
  rm -rf "$out"; mkdir -p fuzz/target/afl
  cargo afl fuzz -V "$SECS" -i "fuzz/target/seeds/$t" -o "$out" -t 2000 -m none "fuzz/target/release/$t" >"fuzz/target/afl-$t.log" 2>&1 || {
    echo "$t: afl-fuzz failed, see fuzz/target/afl-$t.log" >&2; continue; }
  s="$out/default/fuzzer_stats"
  get() { awk -F' *: *' -v k="$1" '$1==k {print $2}' "$s"; }
  printf '%-20s %8s %12s %10s %8s %8s %8s\n' "$t" "$(get run_time)" "$(get execs_done)" "$(get execs_per_sec)" \
    "$(get edges_found)/$(get total_edges)" "$(get bitmap_cvg)" "$(get saved_crashes)"
done
