# One image for every seedsim service (customs and agency nodes, the monitor, the scenario runner):
#   docker build -t seedsim:latest .
#   docker run --rm seedsim:latest --help
#   docker run --rm seedsim:latest run western-balkans-corridor     (a shipped scenario, by name)
#   docker compose up --build            (see docker-compose.yml)
#
# The first stage builds a wheel from the repository layout (pyproject.toml and
# setup.py, services/, schemas/, scenarios/); the image installs that wheel, as
# `pip install .` would, so the XSDs, examples, Utility Blocks, risk profiles
# and scenarios are package data inside the installed seedsim
# (seedsim.core.shipped_data finds them there), and no source tree is left in
# the image beside the installed package.
FROM python:3.11-slim AS wheel

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /src

# README.m[d]: a wildcard, so the build does not fail while README.md is absent
# (pyproject.toml names it as the readme; setuptools only warns when it is missing).
COPY pyproject.toml setup.py README.m[d] ./
COPY services/ services/
COPY schemas/ schemas/
COPY scenarios/ scenarios/
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app

COPY --from=wheel /wheels /wheels

# After installing, fail the build rather than the containers: every seedsim
# module must import with the declared dependencies only, and the shipped data
# must be inside the installed package, found from a directory that holds none.
RUN set -eux; \
    pip install --no-cache-dir /wheels/seedsim-*.whl; \
    rm -rf /wheels; \
    cd /tmp; \
    python -c "import importlib, pkgutil, seedsim; [importlib.import_module(m.name) for m in pkgutil.walk_packages(seedsim.__path__, 'seedsim.')]; from pathlib import Path; from seedsim.core import shipped_data as d; assert d.DATA_ROOT == Path(seedsim.__file__).parent, d.DATA_ROOT; assert all(any(p.glob('*.yaml')) for p in (d.UB_DIR, d.PROFILE_DIR, d.SCENARIO_DIR)), d.DATA_ROOT; print('shipped data at', d.DATA_ROOT)"; \
    seedsim --version; \
    seedsim ub list; \
    cd /app; \
    groupadd --system --gid 10001 seedsim; \
    useradd --system --uid 10001 --gid seedsim --home-dir /home/seedsim --create-home --shell /usr/sbin/nologin seedsim; \
    mkdir -p /data /app/var; \
    chown seedsim:seedsim /data /app/var

# SQLite files of the nodes (docker-compose mounts a named volume here; a new
# named volume takes this directory's ownership, so the non-root user can write).
VOLUME ["/data"]

USER 10001:10001

# Same port for every node inside its container; compose publishes 8001, 8002, ... (the
# monitor's dashboard listens on SEEDSIM_MONITOR_PORT, 8080 by default)
ENV SEEDSIM_HOST=0.0.0.0 \
    SEEDSIM_PORT=8000
EXPOSE 8000 8080

ENTRYPOINT ["seedsim"]
CMD ["--help"]
