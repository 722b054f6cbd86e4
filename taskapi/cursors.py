"""Opaque cursors: a position a client passes back, written as JSON in URL-safe base64
without padding. The list's keyset cursor and the changes feed's sync cursor both use this
one codec and this one query-parameter field; each says what its JSON holds."""

import base64
import binascii
import json
from typing import Any, Protocol

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


def encode_cursor(value: Any) -> str:
    raw = json.dumps(value, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str) -> Any:
    """The JSON value inside a cursor; ValueError for text that is not one."""
    try:
        return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise ValueError("not a cursor") from error


class Cursor(Protocol):
    def encode(self) -> str: ...

    @classmethod
    def decode(cls, text: str) -> "Cursor": ...


# An empty value is refused like any other text this API did not give out.
@extend_schema_field({"type": "string", "minLength": 1})
class CursorField(serializers.Field):
    """A query parameter holding a cursor of `cursor_class`, decoded; 422 for any text that
    class did not encode, or longer than `max_length`."""

    default_error_messages = {"invalid": "Not a cursor this API gave out."}

    def __init__(self, cursor_class: type[Cursor], *, max_length: int, **kwargs):
        self.cursor_class, self.max_length = cursor_class, max_length
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> Cursor:
        if not isinstance(data, str) or len(data) > self.max_length:
            self.fail("invalid")
        try:
            return self.cursor_class.decode(data)
        except ValueError:
            self.fail("invalid")

    def to_representation(self, value: Cursor) -> str:
        return value.encode()
