"""Item kinds: one module per kind, each registering itself (see ``base``).

Importing this package imports every module in it, so a new kind is one new module here plus
its player template ``templates/blocks/<name>.html``; the editor, the import format and its
JSON Schema, the preview, the player, completion and the job-aid search pick it up. Nothing
outside a kind's own module and templates names it: the rest of lxp asks the registry for
traits (``get(item.kind).reviewed``, ``Item.kind.in_(where("attended"))``), and
``tests/integration/test_kind_and_channel_names.py`` fails when a kind's name turns up
anywhere else.

Adding a kind, say a poll::

    # lxp/authoring/kinds/poll.py
    class PollContent(Strict):
        question = text_field(max_length=500)

    class PollForm(ItemForm):
        question = StringField(_l("Question"), validators=[DataRequired(), Length(max=500)])

        def content(self):
            return {"question": self.question.data}

        def fill_content(self, content):
            self.question.data = content.get("question")

    @register
    class Poll(ItemKind):
        name, label, modality, order = "poll", _l("Poll"), "self_paced", 35
        schema, form, completes = PollContent, PollForm, Completes.SELF

plus ``templates/blocks/poll.html`` (the player's part, given ``item``, ``kind`` and
``interactive``). Override ``response_from_form`` and ``complete`` for what the learner sends,
``grade`` for a marked kind, and set the traits in ``base.ItemKind`` that apply; then run
``make messages`` for its labels and regenerate ``docs/course-format.schema.json``
(``flask lxp course schema``), which the import format now includes.
"""

from __future__ import annotations

import importlib
import pkgutil

from lxp.authoring.kinds.base import (
    HTTP_URL,
    KINDS,
    Completes,
    Grade,
    ItemKind,
    QuestionFeedback,
    SelfCompletion,
    get,
    register,
    where,
)

__all__ = [
    "HTTP_URL", "KINDS", "Completes", "Grade", "ItemKind", "QuestionFeedback", "SelfCompletion", "get", "register",
    "where",
]  # fmt: skip


def _load_kinds() -> None:
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        if module != "base":
            importlib.import_module(f"{__name__}.{module}")
    # The editor lists kinds in this order; the registry keeps it.
    ordered = sorted(KINDS.values(), key=lambda kind: (kind.order, kind.name))
    KINDS.clear()
    KINDS.update((kind.name, kind) for kind in ordered)


_load_kinds()
