#!/usr/bin/env bash
# The torch-free library under AddressSanitizer and UndefinedBehaviorSanitizer (Debian's clang):
# builds build-sanitize/, runs its tests, then runs every libFuzzer harness in fuzz/ for a while.
#   scripts/sanitize.sh               tests, then each harness for 60 s
#   scripts/sanitize.sh --fuzz-seconds 1800 --no-tests    long fuzzing runs (the README's counts)
# A harness's corpus grows in build-sanitize/corpus/<harness> (seeded from fuzz/corpus/); a
# finding stops the script with the crashing input under build-sanitize/findings/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=60
tests=1
runs=0
harnesses="audio model_file table server"
while [[ $# -gt 0 ]]; do
  case $1 in
    --fuzz-seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;  # stop each harness after this many executions (0: by time only)
    --no-tests) tests=0; shift ;;
    --only) harnesses=${2//,/ }; shift 2 ;;  # e.g. --only model_file,server
    *) echo "sanitize: unknown option $1" >&2; exit 2 ;;
  esac
done
scripts/setup.sh  # clang and libclang-rt among the packages
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fsanitize=fuzzer-no-link -fno-omit-frame-pointer -g -O1"
CXX=clang++ cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Debug -DGENRE_WITH_TORCH=OFF -DGENRE_FUZZ=ON \
  -DGENRE_BUILD_BENCH=OFF -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" "${launcher[@]}" >/dev/null
cmake --build build-sanitize -j"$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if [[ $tests -eq 1 ]]; then
  (cd build-sanitize && ctest --output-on-failure -j"$(nproc)")
fi
mkdir -p build-sanitize/findings
for h in $harnesses; do
  corpus=build-sanitize/corpus/$h
  mkdir -p "$corpus"
  cp -n fuzz/corpus/$h/* "$corpus"/ 2>/dev/null || true
  limit=()
  [[ $runs -gt 0 ]] && limit=(-runs="$runs")
  echo "fuzz_$h: up to ${seconds} s${runs:+, $runs runs}"
  # Leaks are findings too (libFuzzer checks after each input), except for the server harness,
  # whose server threads allocate while the next input runs.
  leaks=1
  [[ $h == server ]] && leaks=0
  ASAN_OPTIONS=detect_leaks=$leaks:abort_on_error=1 build-sanitize/fuzz/fuzz_$h "$corpus" -max_total_time="$seconds" "${limit[@]}" \
    -detect_leaks=$leaks \
    -timeout=20 -rss_limit_mb=2560 -max_len=262144 -print_final_stats=1 -artifact_prefix=build-sanitize/findings/$h- \
    2> build-sanitize/fuzz_$h.log || { tail -50 build-sanitize/fuzz_$h.log; echo "fuzz_$h: FINDING (input in build-sanitize/findings/)"; exit 1; }
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" build-sanitize/fuzz_$h.log | sed "s/^/fuzz_$h: /"
done
