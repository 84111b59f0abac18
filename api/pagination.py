"""Cursor pagination by id: stable while rows are added or removed between pages, and a page
costs the same whatever its position (no OFFSET)."""

from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    ordering = "id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
