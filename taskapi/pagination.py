"""The list page: `{"items": [...], "pagination": {"limit", "offset", "total", "has_more",
"next_cursor"}}`."""

from rest_framework import serializers


def page_payload(
    items: list,
    *,
    limit: int,
    offset: int | None,
    total: int,
    has_more: bool,
    next_cursor: str | None,
) -> dict:
    return {
        "items": items,
        "pagination": {
            "limit": limit,
            "offset": offset,
            "total": total,
            "has_more": has_more,
            "next_cursor": next_cursor,
        },
    }


class PaginationSerializer(serializers.Serializer):
    limit = serializers.IntegerField()
    offset = serializers.IntegerField(
        allow_null=True, help_text="The offset asked for; null when walking with `cursor`."
    )
    total = serializers.IntegerField(help_text="Every task matching the filters.")
    has_more = serializers.BooleanField(
        help_text="More tasks follow: `offset + len(items) < total` when paging by offset."
    )
    next_cursor = serializers.CharField(
        allow_null=True, help_text="Pass as `cursor` for the next page; null on the last page."
    )
