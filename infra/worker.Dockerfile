# The chokepoint worker image (infra/compose.yaml builds it from the repository root).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY schemas ./schemas
COPY detectors ./detectors
COPY streams ./streams
RUN pip install --no-cache-dir . && useradd --system chokepoint && mkdir -p /var/lib/chokepoint && chown chokepoint /var/lib/chokepoint
USER chokepoint
ENV CHOKEPOINT_WORKER__DATA_DIR=/var/lib/chokepoint \
    CHOKEPOINT_WORKER__WEB_HOST=0.0.0.0 \
    CHOKEPOINT_WORKER__WEB_PORT=6066
EXPOSE 6066
HEALTHCHECK --interval=15s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:6066/health', timeout=2)"
ENTRYPOINT ["chokepoint"]
CMD ["worker"]
