"""The list page: `{"items": [...], "pagination": {"limit", "offset", "total", "has_more"}}`."""

from rest_framework import serializers


def page_payload(items: list, *, limit: int, offset: int, total: int) -> dict:
    return {
        "items": items,
        "pagination": {
            "limit": limit,
            "offset": offset,
            "total": total,
            "has_more": offset + len(items) < total,
        },
    }


class PaginationSerializer(serializers.Serializer):
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()
    total = serializers.IntegerField(help_text="Every task matching the filters.")
    has_more = serializers.BooleanField(help_text="`offset + len(items) < total`.")
