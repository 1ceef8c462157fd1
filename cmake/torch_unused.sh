#!/bin/bash
# torch_unused.sh TORCH_CPU_LIBRARY OUT_DIR CXX
#
# Debian's libtorch_cpu is linked against libraries whose code it does not contain callers for
# (OpenCV, FFmpeg, LevelDB, LMDB, Snappy, ZeroMQ: caffe2 parts built into other libraries). The
# dynamic loader still loads them, and the ~220 libraries they need in turn (Qt, GDAL, codecs):
# about half of the time libtorch takes to load. For each such library that no library genre keeps
# imports a symbol from, this writes an empty shared library with its soname into OUT_DIR. The torch
# plugin's loader (src/cli/torch_plugin.cpp) opens those first; the dynamic loader then takes the
# NEEDED entry as satisfied and loads nothing more for it. A library that some kept library does
# import from is left alone (and said so here), and the loader falls back to loading everything if
# the plugin does not load with the placeholders.
set -euo pipefail
lib=$1 out=$2 cxx=$3
pattern='^lib(opencv_[a-z0-9_]+|avcodec|avformat|avutil|avdevice|avfilter|swscale|swresample|postproc|lmdb|leveldb|snappy|zmq)\.so'

needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
closure=$(ldd "$lib")
resolve() { awk -v n="$1" '$1 == n { print $3 }' <<< "$closure"; }
# Dynamic symbols without their version: undefined (imports) or defined (exports).
imports() { readelf --dyn-syms -W "$1" | awk '$7 == "UND" && $8 != "" { n = $8; sub(/@.*/, "", n); print n }'; }
exports() { readelf --dyn-syms -W "$1" | awk 'NR > 3 && $7 != "UND" && $8 != "" { n = $8; sub(/@.*/, "", n); print n }'; }

candidates=()
kept=("$lib")
while read -r name; do
  if [[ $name =~ $pattern ]]; then
    candidates+=("$name")
  else
    path=$(resolve "$name")
    if [[ -n $path ]]; then kept+=("$path"); fi
  fi
done < <(needed "$lib")

used=$(mktemp)
trap 'rm -f "$used"' EXIT
for path in "${kept[@]}"; do imports "$path"; done | sort -u > "$used"

rm -rf "$out"
mkdir -p "$out"
made=0
for name in "${candidates[@]}"; do
  path=$(resolve "$name")
  if [[ -z $path ]]; then continue; fi
  if shared=$(exports "$path" | sort -u | comm -12 - "$used" | head -3 | tr '\n' ' ') && [[ -n $shared ]]; then
    echo "torch-unused: $name is used by libtorch or its other libraries ($shared): loaded as it is"
    continue
  fi
  "$cxx" -x c++ -shared -nostdlib -o "$out/$name" "-Wl,-soname,$name" /dev/null
  made=$((made + 1))
done
echo "torch-unused: $made placeholders in $out"
