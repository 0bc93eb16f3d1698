import pytest


@pytest.fixture(autouse=True)
def _fresh_database(clean_db):
    """Every integration test starts from empty tables."""
