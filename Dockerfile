# Production image: gunicorn for the web, the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint's libraries (DESIGN.md "System packages"); curl for the health checks.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core curl \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 backoffice
WORKDIR /app

COPY pyproject.toml README.md ./
COPY backoffice backoffice
COPY orders orders
COPY inventory inventory
COPY crm crm
COPY pricing pricing
COPY purchasing purchasing
COPY templates templates
COPY manage.py ./
RUN pip install .

# collectstatic needs settings but no database or secret of the real deployment.
RUN DEBUG=0 SECRET_KEY=collectstatic-only-not-a-real-secret-key-0123456789 STATIC_ROOT=/app/static \
    python manage.py collectstatic --noinput --verbosity 0

ENV STATIC_ROOT=/app/static MEDIA_ROOT=/app/media
RUN mkdir -p /app/media /app/var && chown backoffice /app/media /app/var
USER backoffice
EXPOSE 8000
CMD ["gunicorn", "backoffice.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
