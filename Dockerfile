# Production image: gunicorn for the web, the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.settings VAR_DIR=/app/var
WORKDIR /app

COPY pyproject.toml README.md ./
COPY config ./config
COPY dispatch ./dispatch
COPY visits ./visits
COPY checklists ./checklists
COPY surveys ./surveys
COPY supervision ./supervision
RUN pip install .
COPY . .
# collectstatic needs settings that load; a throwaway key is enough to build.
RUN DEBUG=false SECRET_KEY=build-only-not-secret-build-only-not-secret-build-only-0123456789 \
    python manage.py collectstatic --noinput \
    && useradd --system --home /app seed && mkdir -p /app/var && chown -R seed /app/var
USER seed
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "--logger-class", "surveys.log_redaction.GunicornLogger"]
