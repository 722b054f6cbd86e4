"""A headless Chromium, for tests of what only a browser shows.

A client that speaks HTTP cannot tell whether a browser would accept what the server
answers: a CORS preflight, say, or a page that must work from this service alone. The
`browser` fixture in conftest.py starts one with `start_chromium`, and skips the test where
Debian's `chromium` or `chromium-driver` is missing. `visit`, `console_messages` and
`network_requests` tell what a page did.

The browser runs as on a machine without internet access: no host name resolves but
`LOCAL_HOST_NAME`, so a page that needs anything from elsewhere fails to work.
"""

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
MISSING = "needs Chromium and chromedriver (Debian: apt-get install chromium chromium-driver)"
# A name for 127.0.0.1 that is neither `localhost` nor an address, like a deployment's host:
# a front end may treat those two specially.
LOCAL_HOST_NAME = "taskapi.test"
# Chromium's own name resolution: that name is 127.0.0.1, no other name resolves, and
# addresses are left alone.
OFFLINE = f"MAP {LOCAL_HOST_NAME} 127.0.0.1, MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


def start_chromium(profile_dir: Path) -> webdriver.Chrome:
    """Headless Chromium from the system, with its console and network events recorded for
    `console_messages` and `network_requests`. Both paths are given, so Selenium Manager neither
    looks for nor downloads a browser or driver."""
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip(MISSING)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [
        "--headless",
        # Root in a container has no user namespaces for the sandbox.
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        # Offline: a proxy from the environment would reach the internet for the browser.
        "--no-proxy-server",
        f"--host-resolver-rules={OFFLINE}",
        f"--user-data-dir={profile_dir}",
    ]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(20)
    return driver


def visit(driver: webdriver.Chrome, url: str) -> None:
    """Opens `url` after discarding what the browser logged so far, so that
    `console_messages` and `network_requests` then tell of this page only."""
    driver.get_log("browser")
    driver.get_log("performance")
    driver.get(url)


def console_messages(driver: webdriver.Chrome) -> list[str]:
    """What pages logged to the console since the last call, with the browser's own errors
    about them, such as what a Content-Security-Policy refused."""
    return [entry["message"] for entry in driver.get_log("browser")]


@dataclass(frozen=True)
class NetworkRequest:
    url: str
    # Why the browser refused to send it ("csp": the page's Content-Security-Policy), if it did.
    blocked_reason: str | None


def network_requests(
    driver: webdriver.Chrome, quiet: float = 0.5, timeout: float = 10
) -> list[NetworkRequest]:
    """Every request the browser set out to make since the last call, in order, once it has
    started none for `quiet` seconds (or after `timeout`): those it sent, whether or not they
    failed, and those it refused to send. A redirect is one request per URL."""
    urls: list[tuple[str, str]] = []
    blocked: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while True:
        seen = len(urls)
        for entry in driver.get_log("performance"):
            event = json.loads(entry["message"])["message"]
            params = event.get("params", {})
            if event["method"] == "Network.requestWillBeSent":
                urls.append((params["requestId"], params["request"]["url"]))
            elif event["method"] == "Network.loadingFailed" and params.get("blockedReason"):
                blocked[params["requestId"]] = params["blockedReason"]
        if len(urls) == seen or time.monotonic() > deadline:
            break
        time.sleep(quiet)
    # A refusal belongs to the last URL of its request, the one the browser would have sent.
    last = {request_id: index for index, (request_id, _) in enumerate(urls)}
    return [
        NetworkRequest(url, blocked.get(request_id) if last[request_id] == index else None)
        for index, (request_id, url) in enumerate(urls)
    ]
