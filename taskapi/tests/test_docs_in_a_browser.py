"""The documentation pages in a browser without internet access: they list every operation,
ask nothing of another host, and run under their Content-Security-Policy.

A headless Chromium (taskapi/tests/browsers.py), for which no host name but the server's
resolves, opens /docs and /redoc on a real gunicorn. The pages need no tables, so the server
serves an empty SQLite file and the tests run on either database; without Chromium and
chromedriver they are skipped.
"""

from urllib.parse import urlsplit

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from taskapi.tests.browsers import (
    LOCAL_HOST_NAME,
    console_messages,
    network_requests,
    visit,
)
from taskapi.tests.servers import LiveServer

REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.fixture
def docs_server(gunicorn_server, tmp_path) -> LiveServer:
    """A gunicorn with development settings, as `make run` serves them, that answers to
    `LOCAL_HOST_NAME` too."""
    return gunicorn_server(
        workers=1,
        database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        ALLOWED_HOSTS=f"{LOCAL_HOST_NAME},127.0.0.1",
    )


def browser_origin(server: LiveServer) -> str:
    """`http://taskapi.test:<port>`: the server under a host name that is neither `localhost`
    nor an address, as a deployment's would be."""
    return server.url.replace("127.0.0.1", LOCAL_HOST_NAME)


def operation_summaries(server: LiveServer) -> list[str]:
    schema = requests.get(f"{server.url}/openapi.json", timeout=10).json()
    return sorted(
        operation["summary"] for path in schema["paths"].values() for operation in path.values()
    )


def texts_once_listed(browser, selector: str, count: int) -> list[str]:
    """The texts of the elements `selector` finds, once there are `count` of them."""
    WebDriverWait(browser, 20).until(
        lambda driver: len(driver.find_elements(By.CSS_SELECTOR, selector)) >= count
    )
    return sorted(element.text for element in browser.find_elements(By.CSS_SELECTOR, selector))


def is_local(url: str, origin: str) -> bool:
    """Whether fetching `url` stays on this machine: the server, or data the page holds."""
    return url.startswith(f"{origin}/") or urlsplit(url).scheme in {"data", "blob"}


def refusals_by_the_policy(messages: list[str]) -> list[str]:
    return [message for message in messages if "Content Security Policy" in message]


def test_swagger_ui_lists_every_operation_without_asking_another_host(browser, docs_server):
    summaries = operation_summaries(docs_server)
    origin = browser_origin(docs_server)

    visit(browser, f"{origin}/docs")
    listed = texts_once_listed(browser, ".opblock-summary-description", len(summaries))
    requested = network_requests(browser)

    assert "Sign in" in listed
    assert listed == summaries
    assert [request for request in requested if not is_local(request.url, origin)] == []
    assert [request for request in requested if request.blocked_reason] == []
    assert refusals_by_the_policy(console_messages(browser)) == []


def test_redoc_lists_every_operation_without_asking_another_host(browser, docs_server):
    summaries = operation_summaries(docs_server)
    origin = browser_origin(docs_server)

    visit(browser, f"{origin}/redoc")
    listed = texts_once_listed(browser, '[data-section-id^="operation/"] h2', len(summaries))
    requested = network_requests(browser)

    assert "Sign in" in listed
    assert listed == summaries
    # ReDoc's menu shows Redocly's logo from their CDN; the policy refuses it, so it is
    # never sent, and the image hides itself.
    sent = [request.url for request in requested if request.blocked_reason is None]
    refused = [
        (request.url, request.blocked_reason) for request in requested if request.blocked_reason
    ]
    assert [url for url in sent if not is_local(url, origin)] == []
    assert refused == [(REDOCLY_LOGO, "csp")]
    refusals = refusals_by_the_policy(console_messages(browser))
    assert len(refusals) == 1
    assert f"Loading the image '{REDOCLY_LOGO}'" in refusals[0]
