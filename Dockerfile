# Multi-stage: build the locked environment with uv, run as a non-root user.
FROM python:3.11-slim AS build
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /srv/instrumenta
ENV UV_PROJECT_ENVIRONMENT=/srv/instrumenta/.venv UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY app ./app
COPY migrations ./migrations
RUN uv sync --frozen --no-dev

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 instrumenta
WORKDIR /srv/instrumenta
COPY --from=build --chown=instrumenta /srv/instrumenta /srv/instrumenta
ENV PATH=/srv/instrumenta/.venv/bin:$PATH HOST=0.0.0.0 PORT=8000 INSTRUMENTA_DATA_DIR=/data
RUN mkdir /data && chown instrumenta /data
USER instrumenta
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/health/ready', timeout=4)"
CMD ["instrumenta", "serve"]
