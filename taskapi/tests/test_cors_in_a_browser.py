"""A browser front end on another origin: what Chromium lets its scripts send and read.

`test_security_posture.py` checks the CORS headers the API answers; only a browser shows that
they are enough. A headless Chromium opens a page served on an allowed origin, and the page's
`fetch` calls a real gunicorn: the preflights must let `Idempotency-Key`, `If-Match` and
`If-None-Match` through, and the script must be able to read `ETag` and
`Idempotent-Replayed`. The server shares the test database with this process, so the tests
run on PostgreSQL only; without Chromium and chromedriver (Debian packages `chromium` and
`chromium-driver`) they are skipped.
"""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from taskapi.tests.servers import bearer
from tasks.models import Task
from tasks.tests.factories import TaskFactory

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

# Runs in the page: one fetch, answered with what the page's script can see of the response.
# Iterating `response.headers` yields only the headers CORS lets a script read.
FETCH = """
const [method, url, headers, body, done] = arguments;
fetch(url, {method, headers, body: body === null ? undefined : JSON.stringify(body)})
  .then(async (response) => done({
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: await response.text(),
  }))
  .catch((error) => done({status: null, error: String(error)}));
"""


class FrontEndPage(BaseHTTPRequestHandler):
    """Serves one empty page: the origin the scripts run on."""

    def do_GET(self):
        page = b"<!doctype html><title>taskapi front end</title>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def front_end_origin() -> Iterator[str]:
    """`http://127.0.0.1:<port>`: a page server on another port than the API, so another
    origin."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FrontEndPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def page(browser, front_end_origin, gunicorn_server, user):
    """A front end signed in as `user`, on a page of an allowed origin, calling a gunicorn
    that allows that origin only. `page(method, path, headers, body)` answers what the page's
    script sees: `status`, the readable `headers` (lower-case names) and the `body`."""
    server = gunicorn_server(workers=1, CORS_ALLOWED_ORIGINS=front_end_origin)
    browser.get(f"{front_end_origin}/")
    authorization = bearer(user)

    def fetch(method: str, path: str, headers: dict | None = None, body: dict | None = None):
        headers = {**authorization, "Content-Type": "application/json", **(headers or {})}
        answer = browser.execute_async_script(FETCH, method, f"{server.url}{path}", headers, body)
        assert answer["status"] is not None, f"the browser refused the request: {answer}"
        answer["body"] = json.loads(answer["body"]) if answer["body"] else None
        return answer

    return fetch


def test_a_page_on_an_allowed_origin_retries_a_create_with_the_same_idempotency_key(page, user):
    tasks = f"/api/{user.pk}/tasks"

    created = page("POST", tasks, {"Idempotency-Key": "draft-7"}, {"title": "Buy milk"})
    retried = page("POST", tasks, {"Idempotency-Key": "draft-7"}, {"title": "Buy milk"})

    task_id = created["body"]["data"]["id"]
    assert (created["status"], created["body"]["data"]["title"]) == (201, "Buy milk")
    assert "idempotent-replayed" not in created["headers"]
    assert (retried["status"], retried["body"]) == (201, created["body"])
    assert retried["headers"]["idempotent-replayed"] == "true"
    assert retried["headers"]["etag"] == f'"{task_id}.1"'
    assert retried["headers"]["location"].endswith(f"/api/{user.pk}/tasks/{task_id}")
    rate_limit = {"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"}
    assert rate_limit | {"x-request-id"} <= set(retried["headers"])
    assert Task.objects.filter(user=user).count() == 1


def test_a_page_on_an_allowed_origin_reads_the_etag_and_writes_only_if_it_still_matches(page, user):
    task = TaskFactory(user=user, title="Draft")
    url = f"/api/{user.pk}/tasks/{task.pk}"

    read = page("GET", url)
    etag = read["headers"]["etag"]
    unchanged = page("GET", url, {"If-None-Match": etag})
    renamed = page("PATCH", url, {"If-Match": etag}, {"title": "Final"})
    stale = page("PATCH", url, {"If-Match": etag}, {"title": "Overwritten"})

    assert (read["status"], etag) == (200, f'"{task.pk}.1"')
    assert unchanged["status"] == 304
    assert (renamed["status"], renamed["headers"]["etag"]) == (200, f'"{task.pk}.2"')
    assert (stale["status"], stale["body"]) == (
        412,
        {
            "data": None,
            "error": {
                "code": "PRECONDITION_FAILED",
                "message": "The resource has changed since you read it (If-Match did not match).",
                "details": None,
            },
        },
    )
    task.refresh_from_db()
    assert (task.title, task.version) == ("Final", 2)
