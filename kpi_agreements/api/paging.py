"""Pagination of every list the API answers: ``page`` (from 1) and ``page_size`` (up to 200); a page past
the end is an empty page, not an error."""

from ninja.pagination import PageNumberPagination

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class Paged(PageNumberPagination):
    def __init__(self, **kwargs):
        super().__init__(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE, **kwargs)


class Mapped:
    """A queryset (or list) turned into the API's dicts one page at a time: only the page's rows are read and
    converted; the count is the database's."""

    def __init__(self, rows, convert):
        self.rows, self.convert = rows, convert

    def __len__(self) -> int:
        count = getattr(self.rows, "count", None)
        return count() if callable(count) and not isinstance(self.rows, list) else len(self.rows)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.convert(row) for row in self.rows[index]]
        return self.convert(self.rows[index])
