#!/usr/bin/env bash
# One command from a fresh Debian machine: install dependencies, build, run every test (CTest),
# then the sanitizer build's tests and a short run of each fuzzing harness (scripts/sanitize.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
# playwright-core (pinned in tests/browser/package-lock.json) for the browser test.
npm ci --prefix tests/browser --silent --no-audit --no-fund
(cd build && ctest --output-on-failure -j"$(nproc)")
# The torch-free library, server and tests again under ASan and UBSan, then 60 s of each libFuzzer harness.
bash scripts/sanitize.sh --fuzz-seconds 60
