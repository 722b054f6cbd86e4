"""WSGI entry point: `gunicorn taskapi.wsgi` (gunicorn.conf.py warns, once per start, when
rate limits are not shared by its processes). Chunked request bodies reach Django with their
length through TerminatedInputMiddleware (taskapi/terminated_input.py)."""

import os

from django.core.wsgi import get_wsgi_application

from taskapi.terminated_input import TerminatedInputMiddleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taskapi.settings")

application = TerminatedInputMiddleware(get_wsgi_application())
