"""WSGI entry point: `gunicorn taskapi.wsgi` (gunicorn.conf.py warns, once per start, when
rate limits are not shared by its processes)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taskapi.settings")

application = get_wsgi_application()
