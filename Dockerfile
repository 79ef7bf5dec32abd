# One image for the processes of the Procfile (web, worker, scheduler) and `billing migrate`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PATH=/app/.venv/bin:$PATH \
    PORT=8000

WORKDIR /app
RUN pip install --no-cache-dir "uv==0.13.9"

# Locked dependencies first, so that a code change does not reinstall them.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-install-project --no-dev

COPY cli ./cli
COPY ingress ./ingress
COPY shared ./shared
COPY workers ./workers
COPY migrations ./migrations
RUN uv sync --frozen --no-dev

# Not root: the processes need to write nothing in the image.
RUN useradd --system --uid 10001 billing
USER billing
EXPOSE 8000
# The web process serves on $PORT (platforms such as Heroku or Cloud Run set it). Worker and
# scheduler containers override the command, and their orchestrator their health check.
HEALTHCHECK --interval=30s --timeout=6s --start-period=15s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/live' % os.environ.get('PORT', '8000'), timeout=5)"
CMD ["sh", "-c", "exec billing serve --host 0.0.0.0 --port \"${PORT:-8000}\""]
