"""Fixtures shared by every app's tests: clients, users and signed-in clients."""

import threading
from collections.abc import Callable

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import UserFactory
from taskapi.tests.browsers import start_chromium
from taskapi.tests.servers import (
    SERVERS_TO_REPORT,
    LiveServer,
    close_pooled_server_connections,
    current_database_url,
    report_on_failure,
    start_gunicorn,
)
from taskapi.wsgi import application


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The default hasher is slow on purpose; tests that hash hundreds of passwords use a
    fast one. Tests about hashing itself assert on the configured hasher explicitly."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Rate-limit counters live in the cache; each test starts with none spent."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database; behind pgbouncer (DATABASE_POOLER=pgbouncer), its server
    connections are closed before it is dropped. pgbouncer keeps them pooled after the tests
    are done with them, and PostgreSQL refuses to drop a database that is in use."""
    yield
    if settings.DATABASE_POOLER != "pgbouncer":
        return
    with django_db_blocker.unblock():
        close_pooled_server_connections(connection.settings_dict)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


def bearer_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def read_while_writing(read: Callable[[], object], writers: list[Callable[[], object]]) -> list:
    """Calls `read()` again and again in one thread while each writer runs in a thread of its
    own, until the writers are done (the read under way finishes first); returns whatever
    any of them raised. Each thread closes its database connection, as a request's would."""
    stop = threading.Event()
    failures: list[BaseException] = []

    def thread_of(work: Callable[[], object]) -> threading.Thread:
        def run() -> None:
            try:
                work()
            except BaseException as failure:  # the caller asserts there were none
                failures.append(failure)
            finally:
                connection.close()

        return threading.Thread(target=run)

    def reading() -> None:
        while not stop.is_set():
            read()

    reader, threads = thread_of(reading), [thread_of(writer) for writer in writers]
    reader.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    reader.join()
    return failures


@pytest.fixture
def auth_client(user) -> APIClient:
    return bearer_client(user)


@pytest.fixture
def other_client(other_user) -> APIClient:
    return bearer_client(other_user)


@pytest.fixture
def in_process_wsgi():
    """The project's WSGI application (taskapi.wsgi), for requests that must pass through
    what wraps Django there; they run inside the test's transaction.

    Django's handler closes the database connection when a request ends unless it is told
    otherwise (its test client does the same), and closing it would end the test's transaction.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield application
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgresql` need row locks and real concurrency that SQLite lacks."""
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)")
    for item in items:
        if "postgresql" in item.keywords:
            item.add_marker(skip)


# --- A real gunicorn (taskapi/tests/servers.py) ----------------------------------------------


@pytest.fixture
def gunicorn_server(request, tmp_path):
    """`gunicorn_server(workers=4, THROTTLE_USER_RATE="30/hour")` starts a gunicorn, waits for
    /health and returns a LiveServer (`.url`, `.pid`, `.output()`); variables override what
    the server is given; `workers=None` leaves the count to gunicorn.conf.py, as `make run` does.

    It serves the test's own database, so the test must be marked
    `django_db(transaction=True)`: the server's workers see committed rows only. Pass
    `database_url=` to serve another database, `settings_module=` for other settings. Every
    server is stopped after the test, and a failing test's report shows each one's output.
    """
    servers: list[LiveServer] = []

    def start(
        *, workers: int | None = 2, database_url: str | None = None, **variables
    ) -> LiveServer:
        if database_url is None:
            marker = request.node.get_closest_marker("django_db")
            if marker is None or not marker.kwargs.get("transaction"):
                pytest.fail(
                    "serving the test database needs @pytest.mark.django_db(transaction=True)",
                    pytrace=False,
                )
            database_url = current_database_url()
        server = start_gunicorn(tmp_path, workers=workers, database_url=database_url, **variables)
        servers.append(server)
        report_on_failure(request.node, server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """A failing test that ran servers (a gunicorn, a topology) shows their output."""
    report = yield
    if report.when == "call" and report.failed:
        for server in item.stash.get(SERVERS_TO_REPORT, []):
            report.sections.append((f"server {server.url} (pid {server.pid})", server.output()))
    return report


# --- A headless Chromium (taskapi/tests/browsers.py) -----------------------------------------


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """A headless Chromium shared by a module's tests, offline but for the local servers;
    the test is skipped where Chromium or chromedriver is missing."""
    driver = start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()
