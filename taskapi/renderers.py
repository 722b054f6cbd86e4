"""The response envelope: `{"data": ..., "error": null}` or `{"data": null, "error": {...}}`.

One home for how a body looks: `envelope()` puts a payload on its side of the envelope and
`dumps()` writes JSON. DRF's renderer, the plain Django views (404, 400, 403, 500 handlers)
and the idempotent replay all use them, so every body comes out alike: compact, UTF-8,
UTC as `Z`.
"""

from decimal import Decimal

import orjson
from django.http import HttpResponse
from django.utils.functional import Promise
from rest_framework.renderers import BaseRenderer

JSON_CONTENT_TYPE = "application/json"
# Answers that carry no body.
BODYLESS_STATUSES = frozenset({204, 304})


def json_default(value):
    """What orjson cannot write itself: lazy translations and decimals, as strings."""
    if isinstance(value, Promise | Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value) -> bytes:
    """JSON as every body of the API writes it. orjson writes UUIDs and datetimes itself
    (UTC as `Z`, as DRF would), so serializers may hand it native values."""
    return orjson.dumps(value, default=json_default, option=orjson.OPT_UTC_Z)


def envelope(status_code: int, payload) -> dict | None:
    """The body of an answer with this status: the payload on the data side, or on the error
    side for 4xx and 5xx; None for the statuses that carry no body."""
    if status_code in BODYLESS_STATUSES:
        return None
    if status_code >= 400:
        return {"data": None, "error": payload}
    return {"data": payload, "error": None}


def envelope_content(status_code: int, payload) -> bytes:
    """The bytes of an answer with this status: the payload in its envelope, or nothing."""
    body = envelope(status_code, payload)
    return b"" if body is None else dumps(body)


def envelope_response(status_code: int, payload) -> HttpResponse:
    """The enveloped answer of a plain Django view (one outside DRF)."""
    content = envelope_content(status_code, payload)
    return HttpResponse(content, status=status_code, content_type=JSON_CONTENT_TYPE)


class EnvelopeJSONRenderer(BaseRenderer):
    """Wraps every payload of a DRF view in the envelope. Error payloads arrive already
    shaped by `envelope_exception_handler`; the status code alone tells which side of the
    envelope a payload belongs to."""

    media_type = JSON_CONTENT_TYPE
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is None:
            return dumps(data)
        return envelope_content(response.status_code, data)
