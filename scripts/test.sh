#!/usr/bin/env bash
# One command from a fresh Debian machine: install dependencies, build, run every test (CTest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
# playwright-core (pinned in tests/browser/package-lock.json) for the browser test.
npm ci --prefix tests/browser --silent --no-audit --no-fund
cd build && ctest --output-on-failure -j"$(nproc)"
