"""The documentation pages, /docs (Swagger UI) and /redoc (ReDoc), come whole from this
service: every file they load is one it serves, through whitenoise, and each page answers with
a Content-Security-Policy that lets it load from this service only (taskapi/docs.py).

`test_docs_in_a_browser.py` shows that a browser without internet access renders them.
"""

import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.test import Client

SWAGGER_UI = "/static/drf_spectacular_sidecar/swagger-ui-dist"
REDOC = "/static/drf_spectacular_sidecar/redoc/bundles"
SELF_ONLY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class PageResources(HTMLParser):
    """What a page makes a browser fetch, as `(tag, url)`, and how many inline scripts it
    has."""

    def __init__(self, html: str):
        super().__init__()
        self.urls: list[tuple[str, str]] = []
        self.inline_scripts = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        # `spec-url`: the schema ReDoc fetches.
        self.urls += [
            (tag, attributes[name]) for name in ("src", "href", "spec-url") if name in attributes
        ]
        if tag == "script" and "src" not in attributes:
            self.inline_scripts += 1


def test_swagger_ui_loads_only_files_of_this_service_and_no_inline_script(client):
    page = client.get("/docs")

    assert page.status_code == 200
    resources = PageResources(page.content.decode())
    assert resources.urls == [
        ("link", f"{SWAGGER_UI}/favicon-32x32.png"),
        ("link", f"{SWAGGER_UI}/swagger-ui.css"),
        ("link", "/static/taskapi/swagger-ui-page.css"),
        ("script", f"{SWAGGER_UI}/swagger-ui-bundle.js"),
        ("script", f"{SWAGGER_UI}/swagger-ui-standalone-preset.js"),
        # The script that starts Swagger UI on the schema.
        ("script", "/docs?script="),
    ]
    assert resources.inline_scripts == 0


def test_redoc_loads_only_files_of_this_service_and_no_inline_script(client):
    page = client.get("/redoc")

    assert page.status_code == 200
    resources = PageResources(page.content.decode())
    assert resources.urls == [
        ("redoc", "/openapi.json"),
        ("script", f"{REDOC}/redoc.standalone.js"),
    ]
    assert resources.inline_scripts == 0


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_every_file_a_docs_page_loads_is_served_by_this_service(client, page):
    resources = PageResources(client.get(page).content.decode())

    answers = {url: client.get(url) for _, url in resources.urls}

    assert {url: answer.status_code for url, answer in answers.items()} == dict.fromkeys(
        answers, 200
    )


def test_swagger_ui_starts_from_a_script_this_service_serves(client):
    script = client.get("/docs?script=")

    assert script.status_code == 200
    assert script.headers["Content-Type"] == "application/javascript"
    assert 'url: "/openapi.json"' in script.content.decode()


@pytest.mark.parametrize(
    ("page", "policy"),
    [
        # Nothing inline: the page's styles are in a file, its start-up script is /docs?script=.
        ("/docs", SELF_ONLY),
        # ReDoc writes <style> elements as it runs, and builds its search worker from a blob.
        ("/redoc", f"{SELF_ONLY}; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:"),
    ],
)
def test_each_docs_page_answers_with_a_policy_that_allows_this_service_only(client, page, policy):
    response = client.get(page)

    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == policy


def test_after_collectstatic_the_docs_pages_load_hashed_files_that_whitenoise_serves(
    settings, tmp_path
):
    """What the Dockerfile ships: production's storage names each file by its content, and
    whitenoise serves the collected files alone, with a cache lifetime of years."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = False
    call_command("collectstatic", interactive=False, verbosity=0)
    # A new client builds its middleware now, so whitenoise finds the files just collected.
    client = Client()

    urls = [
        url
        for page in ("/docs", "/redoc")
        for _, url in PageResources(client.get(page).content.decode()).urls
        if url.startswith("/static/")
    ]
    answers = {url: client.get(url) for url in urls}

    assert [re.sub(r"\.[0-9a-f]{12}\.", ".<hash>.", url) for url in urls] == [
        f"{SWAGGER_UI}/favicon-32x32.<hash>.png",
        f"{SWAGGER_UI}/swagger-ui.<hash>.css",
        "/static/taskapi/swagger-ui-page.<hash>.css",
        f"{SWAGGER_UI}/swagger-ui-bundle.<hash>.js",
        f"{SWAGGER_UI}/swagger-ui-standalone-preset.<hash>.js",
        f"{REDOC}/redoc.standalone.<hash>.js",
    ]
    assert {url: answer.status_code for url, answer in answers.items()} == dict.fromkeys(urls, 200)
    assert {answer.headers["Cache-Control"] for answer in answers.values()} == {
        "max-age=315360000, public, immutable"
    }
