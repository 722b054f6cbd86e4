"""The API's only request parser: a JSON object, of bounded size, in strict UTF-8."""

import orjson
from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from taskapi.exceptions import payload_too_large


class JSONObjectParser(JSONParser):
    """Parses `application/json` bodies that are objects, refusing anything else.

    orjson is strict where the standard library is lenient: it refuses lone surrogates
    (which PostgreSQL could not store), NaN and Infinity. The size check runs on the
    declared length, before a byte of the body is read.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        too_large = payload_too_large()
        request = (parser_context or {}).get("request")
        if request is not None:
            try:
                declared_length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                declared_length = 0
            if declared_length > limit:
                raise too_large
        # Read one byte past the limit so a body whose length was not declared is caught too.
        raw = stream.read(limit + 1) if stream else b""
        if len(raw) > limit:
            raise too_large
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"Request body is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ParseError("Request body must be a JSON object.")
        return data
