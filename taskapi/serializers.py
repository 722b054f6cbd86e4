"""What every serializer of the API shares."""

import copy
import re
from collections.abc import Mapping

from rest_framework import serializers


class FieldsBuiltOnce:
    """Builds a serializer class's fields once, and gives each instance shallow copies.

    DRF builds every field afresh for every serializer instance: a deep copy of each declared
    field (which runs its constructor again) and, for a ModelSerializer, the model
    introspection behind the others. For a task write that was about half a millisecond, as
    much as its SQL. A field's per-instance state is what `bind()` sets on the copy (name,
    parent, label) and the two containers a caller may change in place, its validators and
    its error messages, which each copy gets its own of; so one build per class serves every
    request, and a validator added for one request is not there for the next.
    """

    def get_fields(self):
        cls = type(self)
        fields = cls.__dict__.get("_fields_built_once")
        if fields is None:
            # Two threads may both build them the first time; either result is right.
            fields = super().get_fields()
            cls._fields_built_once = fields
        return {name: copy_of(field) for name, field in fields.items()}


def copy_of(field):
    clone = copy.copy(field)
    clone.validators = list(field.validators)
    clone.error_messages = dict(field.error_messages)
    return clone


def snake_case(name: str) -> str:
    """`dueDate` as `due_date`: how a camelCase client spells this API's field names."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


class RefusesUnknownFields:
    # Refuses a body that names a field the serializer does not have: 422, each unknown field
    # in `details`, with a hint where it is a camelCase spelling of a known one.
    #
    # DRF drops unknown keys without a word, so a client that misspells a field (a web front
    # end sending `dueDate`) has its value lost behind a success. The serializer's read-only
    # fields are known: a client may send back what it read (GET, change, PUT) and they are
    # ignored. `ignored_fields` names more that a body may carry to no effect. Checked before
    # any field, so a refused body costs no database query nor password hash.
    #
    # Comments, not a docstring: drf-spectacular would show a docstring, inherited by every
    # serializer without its own, to the API's readers.

    ignored_fields: tuple[str, ...] = ()

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            known = {*self.fields, *self.ignored_fields}
            unknown = {
                name: [unknown_field_message(name, known)] for name in data if name not in known
            }
            if unknown:
                raise serializers.ValidationError(unknown)
        return super().to_internal_value(data)


def unknown_field_message(name: str, known: set[str]) -> str:
    suggestion = snake_case(name)
    if suggestion != name and suggestion in known:
        return f"Unknown field; did you mean {suggestion}?"
    return "Unknown field."
