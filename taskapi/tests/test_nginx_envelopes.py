"""nginx's own answers (deploy/taskapi.conf.template) are the API's envelopes.

The live test of the topology sees some of them served; this one reads every one, on any
database.
"""

import json
import re
from pathlib import Path

from django.conf import settings

from taskapi.exceptions import error_body

TEMPLATE = Path(settings.BASE_DIR) / "deploy" / "taskapi.conf.template"


def test_nginx_error_bodies_are_the_apps_envelopes():
    """Every literal answer in deploy/taskapi.conf.template is error_body() of its status;
    502 and 504 (nginx's gateway errors) say SERVICE_UNAVAILABLE, as the app's 503 does."""
    template = TEMPLATE.read_text()
    answers = re.findall(r"return (\d{3}) '(.*)';", template)
    codes_used = {502: 503, 504: 503}

    assert sorted(int(status) for status, _ in answers) == [400, 408, 413, 414, 429, 502, 503, 504]
    for status, body in answers:
        parsed = json.loads(body)
        as_app = codes_used.get(int(status), int(status))
        assert parsed == {"data": None, "error": error_body(as_app, parsed["error"]["message"])}, (
            status
        )
