"""Settings for live-server tests: the project's own, plus the test-only routes of live_urls."""

from taskapi.settings import *  # noqa: F403

ROOT_URLCONF = "taskapi.tests.live_urls"
