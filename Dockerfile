# taskapi: gunicorn on port 8000, running as a non-root user.
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

# The probe names the first allowed host, or Django would refuse it as a foreign Host header.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD python -c "import os, sys, urllib.request as u; host = os.environ.get('ALLOWED_HOSTS', 'localhost').split(',')[0]; sys.exit(u.urlopen(u.Request('http://127.0.0.1:8000/health', headers={'Host': host}), timeout=4).status != 200)"

CMD ["gunicorn", "taskapi.wsgi", "--config", "gunicorn.conf.py"]
