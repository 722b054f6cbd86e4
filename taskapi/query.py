"""Query-string parameters validated like a body: strictly, each named in its error."""

from rest_framework import serializers

from taskapi.serializers import FieldsBuiltOnce


class QueryParameters(FieldsBuiltOnce, serializers.Serializer):
    """A serializer over a QueryDict. Unknown parameters are ignored; a known one given more
    than once is an error rather than a silent pick of one of its values."""

    repeated: tuple[str, ...] = ()
    # Parameters whose empty value (`sort=`) means the same as leaving them out, what a
    # cleared search box or an unselected drop-down sends: those whose field allows blank.
    empty_means_absent: frozenset[str] = frozenset()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.empty_means_absent = frozenset(
            name
            for name, field in cls._declared_fields.items()
            if getattr(field, "allow_blank", False)
        )

    @classmethod
    def bind(cls, query_params) -> "QueryParameters":
        names = [name for name in cls._declared_fields if name in query_params]
        query = cls(
            data={
                name: query_params[name]
                for name in names
                if not (name in cls.empty_means_absent and query_params[name] == "")
            }
        )
        query.repeated = tuple(name for name in names if len(query_params.getlist(name)) > 1)
        return query

    def to_internal_value(self, data):
        errors = {name: ["Give this parameter at most once."] for name in self.repeated}
        try:
            values = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({**exc.detail, **errors}) from None
        if errors:
            raise serializers.ValidationError(errors)
        return values
