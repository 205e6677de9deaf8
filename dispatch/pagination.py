"""Pagination that does not count the world (issue 14, docs/benchmarks.md "Lists").

The API's long lists (tickets, visits) page by cursor: each page is the next rows after the last
one seen, read from the list's index, with no COUNT(*) and no OFFSET whatever the history. The
pages count at most a few pages beyond the one shown ("page 3 of 13+")."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    page_size = 50

    def decode_cursor(self, request):
        # A cursor that is not one of ours is bad input (400, under "cursor"), not a 404.
        try:
            return super().decode_cursor(request)
        except NotFound as exc:
            raise ValidationError({self.cursor_query_param: [exc.detail]}) from exc


class TicketCursor(Cursor):
    """Newest first, as the ticket list page (index ticket_created)."""

    ordering = ("-created_at", "-id")


class VisitCursor(Cursor):
    """In time order (index visit_start; visit_engineer_start for one engineer)."""

    ordering = ("start", "id")


class CappedPaginator(Paginator):
    """Counts the rows up to LOOKAHEAD pages past the page asked for, not every row: the page
    shows "page 3 of 13+" (`capped`) when there are more."""

    LOOKAHEAD = 10

    def get_page(self, number):
        try:
            self._asked = max(1, int(number))
        except (TypeError, ValueError):
            self._asked = 1
        return super().get_page(number)

    @cached_property
    def count(self):
        cap = (getattr(self, "_asked", 1) + self.LOOKAHEAD) * self.per_page
        counted = self.object_list.values("pk")[: cap + 1].count()
        self.capped = counted > cap
        return min(counted, cap)
