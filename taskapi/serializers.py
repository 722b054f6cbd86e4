"""What every serializer of the API shares."""

import copy


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
