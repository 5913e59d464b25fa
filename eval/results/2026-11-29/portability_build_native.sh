#!/usr/bin/env bash
# Build llama-cpp-python 0.3.36 here with llama.cpp's default (-march=native), as a user's
# machine would without deploy/build-llama.sh. No network: the build tools are installed.
set -e
mkdir -p /tmp/dc /tmp/src && tar xzf .devcarry4/lcp.tar.gz -C /tmp/src
cd /tmp/src/llama_cpp_python-0.3.36
t=$(date +%s)
CMAKE_ARGS="-DLLAVA_BUILD=OFF -DCMAKE_BUILD_PARALLEL_LEVEL=16" CMAKE_BUILD_PARALLEL_LEVEL=16 \
  python3 -m pip wheel -q --no-deps --no-build-isolation . -w /tmp/intelwheel
echo "build seconds: $(( $(date +%s) - t ))"
cp /tmp/intelwheel/llama_cpp_python-*.whl /tmp/dc/intelnative.whl && ls -la /tmp/dc
