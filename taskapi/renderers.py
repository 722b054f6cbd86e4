"""The response envelope: `{"data": ..., "error": null}` or `{"data": null, "error": {...}}`."""

from rest_framework.renderers import JSONRenderer


class EnvelopeJSONRenderer(JSONRenderer):
    """Wraps every JSON payload in the envelope.

    Error payloads arrive already shaped by `envelope_exception_handler`, so the status
    code alone tells which side of the envelope the payload belongs to.
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is None:
            return super().render(data, accepted_media_type, renderer_context)
        if response.status_code in (204, 304):
            return b""
        if response.status_code >= 400:
            envelope = {"data": None, "error": data}
        else:
            envelope = {"data": data, "error": None}
        return super().render(envelope, accepted_media_type, renderer_context)
