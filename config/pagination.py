"""The API's pagination shape: {"items", "total", "page", "size", "pages"} with `page`/`size`."""

import math

from rest_framework.pagination import PageNumberPagination
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
