"""Routes for live-server tests: the project's, plus `/slow`, a request that takes a while.

Served only with `DJANGO_SETTINGS_MODULE=taskapi.tests.live_settings`; never by the product.
"""

import os
import time
import uuid
from pathlib import Path

from django.http import JsonResponse
from django.urls import path

from taskapi import urls as project_urls

SLOW_SECONDS = 1.5


def slow(request):
    """Answers after SLOW_SECONDS. On arrival it leaves a file in the folder named by
    SLOW_REQUEST_MARKERS, so a test can tell that its requests are in flight."""
    markers = os.environ.get("SLOW_REQUEST_MARKERS")
    if markers:
        (Path(markers) / uuid.uuid4().hex).touch()
    time.sleep(SLOW_SECONDS)
    return JsonResponse({"data": {"slept": SLOW_SECONDS}, "error": None})


urlpatterns = [path("slow", slow), *project_urls.urlpatterns]

handler400 = project_urls.handler400
handler403 = project_urls.handler403
handler404 = project_urls.handler404
handler500 = project_urls.handler500
