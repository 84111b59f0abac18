"""Cursor pagination by id: stable while rows are added or removed between pages, and a page
costs the same whatever its position (no OFFSET)."""

from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request


class IdCursorPagination(CursorPagination):
    ordering = "id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def decode_cursor(self, request: Request) -> Cursor | None:
        """DRF's, and the position must be an id: a cursor nobody made is a 404, never a
        query that fails on a word where a number belongs."""
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None and not cursor.position.isdigit():
            raise NotFound(self.invalid_cursor_message)
        return cursor


class TimelinePagination(CursorPagination):
    """A connection's events newest first, by time (the (connection, -at) index), 50 a page."""

    ordering = ("-at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def decode_cursor(self, request: Request) -> Cursor | None:
        """DRF's, and the position must be a time: a forged cursor is a 404, never a 500."""
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            try:
                valid = parse_datetime(cursor.position) is not None
            except ValueError:
                valid = False
            if not valid:
                raise NotFound(self.invalid_cursor_message)
        return cursor
