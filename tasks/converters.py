"""URL converters for task routes."""

import uuid


class AnyCaseUUIDConverter:
    """A UUID in its canonical 8-4-4-4-12 form, hex digits in either case.

    Django's `uuid` converter accepts lower case only; clients that upper-case ids get the
    same task. Other spellings (braces, no dashes) do not match the route, and answer 404.
    """

    regex = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

    def to_python(self, value: str) -> uuid.UUID:
        return uuid.UUID(value)

    def to_url(self, value) -> str:
        return str(value)
