# One image for every seedsim service (customs nodes, demo runner):
#   docker build -t seedsim:latest .
#   docker run --rm seedsim:latest --help
#   docker compose up --build            (see docker-compose.yml)
#
# The repository layout is kept under /app and the package is installed in
# editable mode, so seedsim.core.validation.SCHEMA_DIR
# (= <services/seedsim/core/validation.py>.parents[3] / "schemas") resolves to
# /app/schemas inside the image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app

# README.m[d]: a wildcard, so the build does not fail while README.md is absent
# (pyproject.toml names it as the readme; setuptools only warns when it is missing).
COPY pyproject.toml README.m[d] ./
COPY services/ services/
COPY schemas/ schemas/
COPY scenarios/ scenarios/

# After installing, fail the build rather than the containers: every seedsim
# module must import with the declared dependencies only, and the XSDs must be
# where validation.SCHEMA_DIR looks.
RUN set -eux; \
    pip install --no-cache-dir -e /app; \
    python -c "import importlib, pkgutil, seedsim; [importlib.import_module(m.name) for m in pkgutil.walk_packages(seedsim.__path__, 'seedsim.')]; from seedsim.core.validation import SCHEMA_DIR; assert SCHEMA_DIR.is_dir(), SCHEMA_DIR; print('schemas at', SCHEMA_DIR)"; \
    seedsim --version; \
    groupadd --system --gid 10001 seedsim; \
    useradd --system --uid 10001 --gid seedsim --home-dir /home/seedsim --create-home --shell /usr/sbin/nologin seedsim; \
    mkdir -p /data /app/var; \
    chown seedsim:seedsim /data /app/var

# SQLite files of the nodes (docker-compose mounts a named volume here; a new
# named volume takes this directory's ownership, so the non-root user can write).
VOLUME ["/data"]

USER 10001:10001

# Same port for every node inside its container; compose publishes 8001, 8002, ...
ENV SEEDSIM_HOST=0.0.0.0 \
    SEEDSIM_PORT=8000
EXPOSE 8000

ENTRYPOINT ["seedsim"]
CMD ["--help"]
