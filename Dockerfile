# One image for the three processes of the Procfile (web, worker, scheduler) and `billing migrate`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PATH=/app/.venv/bin:$PATH

WORKDIR /app
RUN pip install --no-cache-dir "uv==0.13.9"

# Locked dependencies first, so that a code change does not reinstall them.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-install-project

COPY ingress ./ingress
COPY shared ./shared
COPY workers ./workers
COPY migrations ./migrations
RUN uv sync --frozen

RUN useradd --system --uid 10001 billing
USER billing
EXPOSE 8000
CMD ["billing", "serve", "--host", "0.0.0.0", "--port", "8000"]
