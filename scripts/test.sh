#!/usr/bin/env bash
# One command from a fresh Debian machine: install dependencies, build, run every test (CTest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
cd build && ctest --output-on-failure -j"$(nproc)"
