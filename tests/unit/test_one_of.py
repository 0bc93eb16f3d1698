"""``statements.one_of``: a fixed set of words written into a prepared statement, on both databases."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, create_engine, insert, select
from sqlalchemy.dialects import postgresql

from lxp.core.statements import one_of

metadata = MetaData()
journeys = Table("journeys", metadata, Column("id", Integer, primary_key=True), Column("status", String(16)))
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)


def test_the_words_are_in_the_sql_not_in_a_list_parameter():
    statement = select(journeys.c.id).where(one_of(journeys.c.status, ("paused", "active")))
    compiled = statement.compile(dialect=postgresql.dialect())
    assert "journeys.status IN ('active', 'paused')" in str(compiled)
    assert compiled.params == {}  # nothing left to expand when the statement runs


@given(wanted=st.sets(words, min_size=1, max_size=4), stored=st.lists(words, max_size=8))
def test_it_selects_what_in_would_select(wanted, stored):
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as connection:
        if stored:
            connection.execute(insert(journeys), [{"status": status} for status in stored])
        found = connection.execute(select(journeys.c.status).where(one_of(journeys.c.status, wanted))).scalars().all()
    assert sorted(found) == sorted(status for status in stored if status in wanted)


@pytest.mark.parametrize("bad", [(), ("active", "it's"), ("Active",), ("a b",), (bindparam("status"),)])
def test_only_plain_lower_case_words_are_taken(bad):
    with pytest.raises(ValueError, match="lower-case words"):
        one_of(journeys.c.status, bad)
