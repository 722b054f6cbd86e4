"""WSGI entry point: `gunicorn taskapi.wsgi`."""

import logging
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taskapi.settings")

application = get_wsgi_application()

if not settings.REDIS_URL:
    logging.getLogger("taskapi").warning(
        "REDIS_URL is not set: rate limits are counted per worker process, so the effective "
        "limit is multiplied by the number of workers and instances"
    )
