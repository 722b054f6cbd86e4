# taskapi: gunicorn on port 8000, running as a non-root user. It needs DATABASE_URL, SECRET_KEY,
# JWT_SECRET and ALLOWED_HOSTS; docker-compose.yml puts it behind nginx and pgbouncer.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies in their own layer: rebuilt only when pyproject.toml changes.
COPY pyproject.toml README.md ./
RUN mkdir taskapi accounts tasks \
    && pip install . \
    && pip uninstall -y taskapi \
    && rm -rf taskapi accounts tasks

COPY . .
RUN pip install --no-deps . \
    && ENVIRONMENT=production SECRET_KEY=collectstatic-only JWT_SECRET=collectstatic-only \
       ALLOWED_HOSTS=localhost DATABASE_URL=sqlite:///:memory: \
       python manage.py collectstatic --noinput --verbosity 0 \
    && useradd --system --uid 10001 --home-dir /app taskapi \
    && chown -R taskapi /app

USER taskapi
ENV ENVIRONMENT=production \
    GUNICORN_BIND=0.0.0.0:8000
EXPOSE 8000

# The probe (deploy/healthcheck.py) names a host that ALLOWED_HOSTS matches, checked with
# Django's own validate_host: the first entry as it is fails for `.example.com` or `*`.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "deploy/healthcheck.py"]

# gunicorn.conf.py picks the worker model: gthread workers that keep connections alive, one
# per CPU this container may use (its cgroup quota and affinity, not the host's) with 8
# threads each (README: Serving). GUNICORN_WORKERS and GUNICORN_THREADS override it.
CMD ["gunicorn", "taskapi.wsgi", "--config", "gunicorn.conf.py"]
