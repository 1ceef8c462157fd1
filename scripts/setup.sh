#!/usr/bin/env bash
# Installs every Debian package genre needs to build, test and run. Idempotent:
# when everything is already installed it only checks and returns.
#   scripts/setup.sh            build + runtime + test packages
#   scripts/setup.sh --python   also the Python reference stack (fixtures, side-by-side benchmarks)
#   scripts/setup.sh --openblas also OpenBLAS, which then serves libtorch's (and NumPy's) matrix
#                               products instead of the reference BLAS: about 4x faster LSTM training
set -euo pipefail

packages=(
  g++ cmake make pkg-config ccache
  libtorch-dev          # tensors, autograd, nn, optim, c10d/Gloo
  libgloo-dev           # Gloo's headers, which libtorch's c10d ProcessGroupGloo header includes
  libsndfile1-dev       # decoding: wav au flac ogg opus mp3
  libvorbis-dev libogg-dev  # Ogg Vorbis headers checked before libsndfile (which leaks on bad ones)
  libsoxr-dev           # resampling (soxr_hq, as librosa)
  libfftw3-dev          # FFTs for the feature front end
  libxgboost-dev        # gradient-boosted trees on feature tables (genre train --model xgboost)
  libcli11-dev nlohmann-json3-dev libcpp-httplib-dev libpng-dev
  libgtest-dev libbenchmark-dev
  clang libclang-rt-14-dev  # the sanitizer build and the libFuzzer harnesses (scripts/sanitize.sh)
  chromium              # the real-browser test of genre serve (driven by playwright-core from npm)
  python3-torchvision   # tests only: torchvision's own networks, the reference of tests/test_torchvision.cpp
)
# Node.js for that test: Debian's, unless a node is already installed.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then packages+=(nodejs npm); fi
for arg in "$@"; do
  case $arg in
    --python) packages+=(python3-torch python3-torchaudio python3-numpy python3-scipy python3-sklearn python3-soundfile python3-pil python3-matplotlib) ;;
    --openblas) packages+=(libopenblas0-pthread) ;;
    *) echo "setup: unknown option $arg" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
