# baclofen-cds container image.
#
# Two stages: `build` installs the package (pinned by constraints.txt) into a virtual
# environment and drops pip and setuptools from it (the service needs neither at run time);
# `runtime` copies only that environment onto a clean base and runs it as an unprivileged
# user. The same install commands are exercised by tests/packaging; the image itself is
# built and tested by scripts/container-check (README, "Container image").
ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python3 -m venv /opt/baclofen-cds
COPY pyproject.toml constraints.txt README.md ./
COPY cds_hooks ./cds_hooks
COPY service ./service
COPY fixtures ./fixtures
# Behind a TLS-inspecting proxy pip needs that proxy's CA. It is lent to this step only, as
# an optional build secret (`--secret id=pip-ca,src=/path/to/ca-bundle.crt`): a secret is
# never written to a layer, and without one pip uses its own CA list.
RUN --mount=type=secret,id=pip-ca \
    if [ -s /run/secrets/pip-ca ]; then export PIP_CERT=/run/secrets/pip-ca; fi \
    && /opt/baclofen-cds/bin/pip install -c constraints.txt . \
    && /opt/baclofen-cds/bin/python -m pip uninstall --yes --quiet pip setuptools \
    && /opt/baclofen-cds/bin/python -m compileall -q /opt/baclofen-cds/lib

FROM ${BASE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="baclofen-cds" \
      org.opencontainers.image.description="CDS Hooks 2.0 decision support for baclofen orders"
RUN groupadd --system --gid 10001 cds \
    && useradd --system --uid 10001 --gid cds --home-dir /nonexistent --shell /usr/sbin/nologin cds \
    && mkdir -p /data \
    && chown cds:cds /data
COPY --from=build /opt/baclofen-cds /opt/baclofen-cds
# Where to listen comes from the environment, not the command line, so that a deployment
# (or the CI test, which binds 127.0.0.1 on a free port of the host's network) can change it
# and the HEALTHCHECK, which reads the same variable, still probes the right port.
ENV PATH=/opt/baclofen-cds/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    BACLOFEN_CDS_HOST=0.0.0.0 \
    BACLOFEN_CDS_PORT=8080 \
    BACLOFEN_CDS_DATABASE_URL=sqlite+aiosqlite:////data/baclofen-cds.sqlite3
WORKDIR /data
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ['BACLOFEN_CDS_PORT'], timeout=2)"]
ENTRYPOINT ["baclofen-cds", "serve"]
