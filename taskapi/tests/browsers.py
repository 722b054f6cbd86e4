"""A headless Chromium, for tests of what only a browser shows.

A client that speaks HTTP cannot tell whether a browser would accept what the server
answers: a CORS preflight, say. The `browser` fixture in conftest.py starts one with
`start_chromium`, and skips the test where Debian's `chromium` or `chromium-driver` is
missing.

The browser runs as on a machine without internet access: no host name resolves but
`LOCAL_HOST_NAME`, so a page that needs anything from elsewhere fails to work.
"""

import shutil
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
    """Headless Chromium from the system. Both paths are given, so Selenium Manager neither
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
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(20)
    return driver
