#!/usr/bin/env bash
# One command from a fresh Debian machine: install dependencies, build, run the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
./build/genre predict examples/
