#!/usr/bin/env bash
# Issue 15 on another CPU: the portable wheel, the native one built on AMD Zen 4, and one
# built -march=native on this Intel machine; the issue's reproduction and a 632-token
# prefill, 2 threads, each in its own process (a crash is its exit status).
cat .devcarry1/mpart.00 .devcarry2/mpart.01 .devcarry3/mpart.02 > /tmp/model.gguf
ls -la /tmp/model.gguf
grep -m1 "model name" /proc/cpuinfo
grep -m1 flags /proc/cpuinfo | tr ' ' '\n' | grep -E "^(avx2|avx512f|avx512_bf16|avx512_vnni|avx_vnni|amx_tile|amx_int8|amx_bf16)$" | tr '\n' ' '; echo
for w in portable native intelnative; do
  mkdir -p /tmp/w_$w && cp /tmp/dc/$w.whl /tmp/w_$w/llama_cpp_python-0.3.36-py3-none-linux_x86_64.whl
  python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/$w /tmp/w_$w/*.whl /tmp/dc/diskcache-*.whl
  PYTHONPATH=/tmp/$w timeout 300 python3 - <<'EOF'
import re, time, llama_cpp
from llama_cpp import Llama
print(" ".join(re.findall(r"([A-Z0-9_]+) = 1", llama_cpp.llama_print_system_info().decode())))
l = Llama(model_path="/tmp/model.gguf", n_ctx=4096, n_threads=2, verbose=False)
print("repro:", repr(l.create_completion("What is the capital of France? " * 10, max_tokens=5)["choices"][0]["text"]))
p = "Employees may work remotely two days a week with their manager's approval. " * 45
for _ in range(2):
    t = time.perf_counter()
    out = l.create_completion(p, max_tokens=64, temperature=0.0)
    dt = time.perf_counter() - t
    print("prompt", out["usage"]["prompt_tokens"], "out", out["usage"]["completion_tokens"], "seconds", round(dt, 2))
EOF
  echo "$w exit=$?"
done
