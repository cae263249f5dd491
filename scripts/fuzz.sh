#!/usr/bin/env bash
# `npm run fuzz`: builds the libFuzzer targets (ASan + UBSan) with cmake-js,
# runs the netlink unit test, then every fuzz target for FUZZ_SECONDS
# (default 60) from its committed seed corpus (fuzz/corpus/<target>). Any
# crash, sanitizer report or failed invariant fails the run; the input that
# caused it is saved under build-fuzz/artifacts/. See docs/native-hardening.md.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
bash scripts/sanitize-build.sh fuzz
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

echo "== netlink_test"
build-fuzz/netlink_test

mkdir -p build-fuzz/artifacts
status=0
for target in fuzz_parse fuzz_roundtrip fuzz_token fuzz_bpf fuzz_netlink; do
  work=build-fuzz/corpus/$target  # new inputs go here; the committed seeds stay as they are
  mkdir -p "$work"
  echo "== $target (${seconds}s)"
  if ! build-fuzz/$target "$work" "fuzz/corpus/$target" -max_total_time="$seconds" \
      -max_len=12000 -timeout=25 -print_final_stats=1 \
      -artifact_prefix="build-fuzz/artifacts/$target-" 2> "build-fuzz/$target.log"; then
    echo "$target FAILED: see build-fuzz/$target.log and build-fuzz/artifacts/" >&2
    tail -40 "build-fuzz/$target.log" >&2
    status=1
  else
    grep -E '^stat::number_of_executed_units|^Done' "build-fuzz/$target.log" || true
  fi
done
exit $status
