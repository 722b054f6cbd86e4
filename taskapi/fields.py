"""Strict serializer fields: JSON types are taken as sent, never coerced.

DRF's stock fields are lenient: `BooleanField` takes `"yes"`, `0` and `"on"`, `CharField` (and
so `EmailField` and `URLField`) takes numbers, and `DateTimeField` fails with a server error on a
date that cannot move to UTC. These subclasses refuse what a typed client would never mean to send.
"""

import datetime
import re

from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be a JSON boolean (true or false)."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid")


class StrictStringMixin:
    """Refuses anything but a JSON string before the field's own parsing sees it."""

    default_error_messages = {"not_a_string": "Must be a JSON string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class StrictCharField(StrictStringMixin, serializers.CharField):
    """A JSON string. Like every DRF CharField it refuses NUL characters, and a trimmed one
    refuses what is only whitespace unless blank is allowed; its `max_length` counts what
    trimming leaves, so `"  " + 255 characters` is a valid title.

    A subclass refuses more characters (in what trimming leaves) by naming them in
    `refused_characters`, the body of a regex character class; the schema's pattern says so.
    """

    default_error_messages = {"refused_character": "Must not contain {characters}."}
    refused_characters = ""
    refused_description = ""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.trim_whitespace and self.max_length is not None:
            # Checked in to_internal_value instead, as before on the trimmed value; without the
            # validator the schema does not claim a limit on the untrimmed length.
            self.validators = [
                validator
                for validator in self.validators
                if not isinstance(validator, MaxLengthValidator)
            ]

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if self.trim_whitespace and self.max_length is not None and len(value) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        if self.refused_characters and re.search(f"[{self.refused_characters}]", value):
            self.fail("refused_character", characters=self.refused_description)
        return value


def character_class_body(codes: list[int]) -> str:
    r"""`\u0009-\u000d\u001c-...`: the codes as escapes, runs of consecutive ones as ranges."""
    runs: list[list[int]] = []
    for code in codes:
        if runs and code == runs[-1][-1] + 1:
            runs[-1].append(code)
        else:
            runs.append([code])
    return "".join(
        f"\\u{run[0]:04x}" + (f"-\\u{run[-1]:04x}" if len(run) > 1 else "") for run in runs
    )


# What `str.strip()` removes, and so what trimming ignores (nothing past U+3000 is whitespace
# to Python). Spelled out because `\s` means other characters to the ECMA regexes of OpenAPI
# tools: U+001C to U+001F are whitespace to Python only, U+FEFF to ECMA only.
TRIMMED = character_class_body([code for code in range(0x3001) if chr(code).isspace()])
ANY = "[^\\u0000]"
KEPT = f"[^\\u0000{TRIMMED}]"


def input_pattern(field: StrictCharField) -> str:
    """What the field accepts, as a regex: none of its refused characters (NUL, and what
    `refused_characters` adds) where they would remain and, where it trims, its length and
    blank rules applied to what lies between the leading and trailing whitespace.

    It never matches "": drf-spectacular documents a field that allows blank as
    `oneOf: [this, {maxLength: 0}]`, and "" must match exactly one of them.
    """
    any_kept = f"[^\\u0000{field.refused_characters}]" if field.refused_characters else ANY
    if not field.trim_whitespace:
        return f"^{any_kept}+$"
    kept = f"[^\\u0000{field.refused_characters}{TRIMMED}]" if field.refused_characters else KEPT
    limit = field.max_length
    if limit is None:
        content = f"{kept}(?:{any_kept}*{kept})?"
    elif limit == 1:
        content = kept
    else:
        content = f"{kept}(?:{any_kept}{{0,{limit - 2}}}{kept})?"
    padded = f"[{TRIMMED}]*{content}[{TRIMMED}]*"
    if field.allow_blank:
        return f"^(?:[{TRIMMED}]+|{padded})$"
    return f"^{padded}$"


class StrictCharFieldSchema(OpenApiSerializerFieldExtension):
    """Documents what a StrictCharField accepts as a `pattern` on input. Without it the
    document would call a title of spaces, or one holding a NUL character, valid, and a
    client or a fuzzer that believed it would get a 422."""

    target_class = StrictCharField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema["pattern"] = input_pattern(self.target)
        return schema


class StrictEmailField(StrictStringMixin, serializers.EmailField):
    pass


class StrictURLField(StrictStringMixin, serializers.URLField):
    pass


class QueryIntegerField(serializers.IntegerField):
    """An integer in a query string: ASCII digits with an optional minus sign, nothing else.

    DRF's IntegerField also reads `10.0`, ` 10`, `1_0` and full-width digits as 10.
    """

    def to_internal_value(self, data):
        if isinstance(data, str) and not re.fullmatch(r"-?[0-9]+", data):
            self.fail("invalid")
        return super().to_internal_value(data)


# What a UTC datetime can hold: a time whose offset carries it past either end is refused.
CALENDAR_RANGE = "years 1 to 9999 once moved to UTC"


@extend_schema_field(
    {
        "type": "string",
        "format": "date-time",
        "description": f"ISO 8601 (UTC when without an offset), {CALENDAR_RANGE}.",
    }
)
class StrictDateTimeField(serializers.DateTimeField):
    """An ISO 8601 datetime string; one without an offset is taken as UTC."""

    default_error_messages = {
        "invalid": "Must be an ISO 8601 datetime string, such as 2026-01-31T17:00:00Z.",
    }

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid")
        try:
            return super().to_internal_value(value)
        except (OverflowError, ValueError):
            # Years at the edge of the calendar cannot be converted to UTC.
            self.fail("invalid")


# A time followed by a space and an offset's digits: "2026-01-31T17:00:00 02:00".
PLUS_READ_AS_SPACE = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)? \d{2}(?::?\d{2})?$")


@extend_schema_field(
    {
        "type": "string",
        "anyOf": [{"format": "date"}, {"format": "date-time"}],
        "description": f"ISO 8601 date (2026-01-31) or datetime, inclusive; {CALENDAR_RANGE}.",
    }
)
class DateOrDateTimeBoundField(serializers.Field):
    """A query bound given as an ISO 8601 date or datetime; returns an aware datetime.

    A bare date is a whole day: as a lower bound it means that day's first instant (UTC),
    as an upper bound its last, so `due_before=2026-01-31` includes all of January 31st.
    """

    default_error_messages = {
        "invalid": "Must be an ISO 8601 date (2026-01-31) or datetime (2026-01-31T17:00:00Z).",
        "plus_as_space": (
            "Must be an ISO 8601 date (2026-01-31) or datetime (2026-01-31T17:00:00Z); "
            "encode '+' in an offset as %2B."
        ),
    }

    def __init__(self, *, upper: bool, **kwargs):
        self.upper = upper
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            # A date first: parse_datetime takes "2026-01-31" too, as midnight, which would
            # cut the whole-day upper bound short.
            day = parse_date(data)
            if day is None:
                parsed = parse_datetime(data)
                if parsed is None:
                    self.refuse(data)
                if timezone.is_naive(parsed):
                    parsed = timezone.make_aware(parsed, datetime.UTC)
                return parsed.astimezone(datetime.UTC)
        except (ValueError, OverflowError):
            self.refuse(data)
        start = datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)
        if not self.upper:
            return start
        return datetime.datetime.combine(day, datetime.time.max, tzinfo=datetime.UTC)

    def refuse(self, data: str):
        """Fails with the hint about '+' only where a space stands where an offset's '+'
        would: an unencoded '+' in a query string arrives as a space."""
        self.fail("plus_as_space" if PLUS_READ_AS_SPACE.search(data) else "invalid")

    def to_representation(self, value):
        return value.isoformat()
