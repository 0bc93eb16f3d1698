"""gunicorn's master compiles every template before forking (``serving.compile_templates``):
all of them fit the template cache, so none is compiled again in a worker."""

from __future__ import annotations

from lxp.core import serving


def test_every_template_is_compiled_into_the_cache_and_all_fit(app):
    environment = app.jinja_env
    compiled = serving.compile_templates(app)
    assert compiled == len(environment.list_templates()) > 150
    assert len(environment.cache) >= compiled  # each one kept
    # A larger template set would push the first ones out again: raise the cache with it.
    assert compiled < environment.cache.capacity
    page = environment.get_template("base.html")
    assert environment.get_template("base.html") is page
