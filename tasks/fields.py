"""Strict serializer fields: JSON types are taken as sent, never coerced.

DRF's stock fields are lenient: `BooleanField` takes `"yes"`, `0` and `"on"`, `CharField`
takes numbers, and `DateTimeField` fails with a server error on a date that cannot move to
UTC. These subclasses refuse what a typed client would never mean to send.
"""

import datetime

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be a JSON boolean (true or false)."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid")


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": "Must be a JSON string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


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


@extend_schema_field(
    {"type": "string", "description": "ISO 8601 date (2026-01-31) or datetime, inclusive."}
)
class DateOrDateTimeBoundField(serializers.Field):
    """A query bound given as an ISO 8601 date or datetime; returns an aware datetime.

    A bare date is a whole day: as a lower bound it means that day's first instant (UTC),
    as an upper bound its last, so `due_before=2026-01-31` includes all of January 31st.
    """

    default_error_messages = {
        "invalid": (
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
                    self.fail("invalid")
                if timezone.is_naive(parsed):
                    parsed = timezone.make_aware(parsed, datetime.UTC)
                return parsed.astimezone(datetime.UTC)
        except (ValueError, OverflowError):
            self.fail("invalid")
        start = datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)
        if not self.upper:
            return start
        return datetime.datetime.combine(day, datetime.time.max, tzinfo=datetime.UTC)

    def to_representation(self, value):
        return value.isoformat()
