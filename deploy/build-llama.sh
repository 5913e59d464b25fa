#!/usr/bin/env bash
# Build llama-cpp-python so that it runs on any x86-64 CPU with AVX2, whatever CPU builds it.
#
# By default llama.cpp compiles with -march=native: a wheel built on one CPU crashes on
# another (AVX-512/AMX kernels on a newer Xeon died on a batched prefill). These flags pin
# the instruction set to AVX2 + FMA + F16C; AVX-512 and AMX stay off.
#
# pip's wheel cache is keyed by package and version, not by CMAKE_ARGS, so a machine that
# once built a native wheel would reinstall it from the cache. We build with the cache off
# into a folder named after the flags, and install from that folder only.
#
# usage: deploy/build-llama.sh PIP WHEEL_ROOT     (prints the wheel folder on the last line)
set -euo pipefail
PIP=${1:?usage: build-llama.sh PIP WHEEL_ROOT}
ROOT=${2:?usage: build-llama.sh PIP WHEEL_ROOT}
VERSION=0.3.36
FLAGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
-DGGML_BMI2=ON -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF \
-DGGML_AVX512_BF16=OFF -DGGML_AVX_VNNI=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF \
-DGGML_AMX_BF16=OFF"
KEY=$(printf '%s %s' "$VERSION" "$FLAGS" | sha256sum | cut -c1-12)
OUT="$ROOT/llama-$VERSION-$KEY"
if ! ls "$OUT"/llama_cpp_python-*.whl >/dev/null 2>&1; then
  echo "build-llama: building llama-cpp-python $VERSION (about 8 minutes on 2 cores)" >&2
  echo "build-llama: CMAKE_ARGS=$FLAGS" >&2
  mkdir -p "$OUT.part"
  CMAKE_ARGS="$FLAGS" FORCE_CMAKE=1 "$PIP" wheel --quiet --no-cache-dir --no-deps \
    --no-binary llama-cpp-python "llama-cpp-python==$VERSION" -w "$OUT.part" >&2
  rm -rf "$OUT"
  mv "$OUT.part" "$OUT"
fi
echo "$OUT"
