"""The API's pagination shape: {"items", "total", "page", "size", "pages"} with `page`/`size`; the manager
profile's {"items", "total", "offset", "limit"} with `offset`/`limit`."""

import math

from rest_framework.pagination import LimitOffsetPagination, PageNumberPagination
from rest_framework.response import Response


class PagePagination(PageNumberPagination):
    page_query_param = "page"
    page_size_query_param = "size"
    page_size = 20
    max_page_size = 100

    def get_paginated_response(self, data):
        total = self.page.paginator.count
        size = self.page.paginator.per_page
        return Response(
            {
                "items": data,
                "total": total,
                "page": self.page.number,
                "size": size,
                "pages": math.ceil(total / size) if size else 0,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["items", "total", "page", "size", "pages"],
            "properties": {
                "items": schema,
                "total": {"type": "integer", "example": 123},
                "page": {"type": "integer", "example": 1},
                "size": {"type": "integer", "example": 20},
                "pages": {"type": "integer", "example": 7},
            },
        }


class OffsetPagination(LimitOffsetPagination):
    """`offset`/`limit` → {"items", "total", "offset", "limit"} (the manager UI's shape)."""

    default_limit = 10
    max_limit = 100

    def get_paginated_response(self, data):
        return Response({"items": data, "total": self.count, "offset": self.offset, "limit": self.limit})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["items", "total", "offset", "limit"],
            "properties": {
                "items": schema,
                "total": {"type": "integer", "example": 123},
                "offset": {"type": "integer", "example": 0},
                "limit": {"type": "integer", "example": 10},
            },
        }
