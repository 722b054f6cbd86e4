"""The response envelope: `{"data": ..., "error": null}` or `{"data": null, "error": {...}}`."""

from decimal import Decimal

import orjson
from django.utils.functional import Promise
from rest_framework.renderers import BaseRenderer


def json_default(value):
    """What orjson cannot write itself: lazy translations and decimals, as strings."""
    if isinstance(value, Promise | Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class EnvelopeJSONRenderer(BaseRenderer):
    """Wraps every payload in the envelope and writes it with orjson.

    orjson writes UUIDs and datetimes itself (UTC as `Z`, as DRF would), so serializers may
    hand it native values instead of formatting every field in Python. Error payloads
    arrive already shaped by `envelope_exception_handler`; the status code alone tells
    which side of the envelope a payload belongs to.
    """

    media_type = "application/json"
    format = "json"
    charset = None
    OPTIONS = orjson.OPT_UTC_Z

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is None:
            envelope = data
        elif response.status_code in (204, 304):
            return b""
        elif response.status_code >= 400:
            envelope = {"data": None, "error": data}
        else:
            envelope = {"data": data, "error": None}
        return orjson.dumps(envelope, default=json_default, option=self.OPTIONS)
