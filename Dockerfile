# baclofen-cds container image.
#
# Two stages: `build` installs the package (pinned by constraints.txt) into a virtual
# environment; `runtime` copies only that environment onto a clean base and runs it as an
# unprivileged user. The same commands are exercised by tests/packaging.
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
RUN /opt/baclofen-cds/bin/pip install -c constraints.txt . \
    && /opt/baclofen-cds/bin/python -m compileall -q /opt/baclofen-cds/lib

FROM ${BASE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="baclofen-cds" \
      org.opencontainers.image.description="CDS Hooks 2.0 decision support for baclofen orders"
RUN groupadd --system --gid 10001 cds \
    && useradd --system --uid 10001 --gid cds --home-dir /nonexistent --shell /usr/sbin/nologin cds \
    && mkdir -p /data \
    && chown cds:cds /data
COPY --from=build /opt/baclofen-cds /opt/baclofen-cds
ENV PATH=/opt/baclofen-cds/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    BACLOFEN_CDS_DATABASE_URL=sqlite+aiosqlite:////data/baclofen-cds.sqlite3
WORKDIR /data
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"]
ENTRYPOINT ["baclofen-cds", "serve", "--host", "0.0.0.0"]
