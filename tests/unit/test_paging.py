"""``core.paging``: the pages of a list read back as the list, each at most a page long, and a page
asked for outside them is the nearest one (past the end or None, the last)."""

from hypothesis import given
from hypothesis import strategies as st

from lxp.core.paging import page_of_list, pages_for


@given(st.lists(st.integers(), max_size=300), st.integers(1, 60))
def test_every_page_in_turn_gives_back_the_whole_list(rows, per_page):
    pages = [page_of_list(rows, n, per_page) for n in range(1, pages_for(len(rows), per_page) + 1)]
    assert sum((page.items for page in pages), []) == rows
    assert all(len(page.items) <= per_page and page.total == len(rows) for page in pages)
    assert all(page.items for page in pages) or rows == []
    assert not pages[0].has_prev and not pages[-1].has_next
    assert [page.next_num for page in pages[:-1]] == [page.page for page in pages[1:]]


@given(st.lists(st.integers(), max_size=300), st.integers(1, 60), st.one_of(st.none(), st.integers(-5, 50)))
def test_a_page_outside_the_list_is_the_nearest_one(rows, per_page, asked):
    pages = pages_for(len(rows), per_page)
    page = page_of_list(rows, asked, per_page)
    expected = pages if asked is None or asked > pages else max(asked, 1)
    assert page.page == expected and page.pages == pages
