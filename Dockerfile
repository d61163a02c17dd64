# syntax=docker/dockerfile:1
# Build: docker build -t planbot .   Run: docker run --env-file .env planbot
# BASE_IMAGE: a Python 3.11+ image with venv; pinned to one release (override to build on a base
# of your own: docs/container.md builds one from Debian's packages).
ARG BASE_IMAGE=python:3.11.14-slim-bookworm

FROM ${BASE_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python3 -m venv /opt/planbot
# Dependencies first, in a layer of their own: a code change does not reinstall them. Every
# package, the build backend included, is checked against its hash in the lock.
COPY requirements.lock ./
RUN /opt/planbot/bin/pip install --require-hashes -r requirements.lock
# Then planbot itself, with no dependencies and the locked setuptools (no isolated build
# environment, so nothing unhashed is fetched).
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY jobs ./jobs
COPY storage ./storage
RUN /opt/planbot/bin/pip install --no-deps --no-build-isolation . \
    && /opt/planbot/bin/pip check

FROM ${BASE_IMAGE}
ENV PATH=/opt/planbot/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    MPLCONFIGDIR=/tmp/matplotlib
RUN groupadd --system planbot && useradd --system --gid planbot --home-dir /app planbot \
    && mkdir -p /app && chown planbot:planbot /app
COPY --from=build /opt/planbot /opt/planbot
WORKDIR /app
USER planbot
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD python -c "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4).status == 200 else 1)" || exit 1
ENTRYPOINT ["planbot", "serve"]
CMD ["--http", "--port", "3000"]
