"""Item kinds: one module per kind, each registering itself (see ``base``).

Importing this package imports every module in it, so a new kind is one new module here plus
its player template ``templates/blocks/<name>.html``; the editor, the import format and its
JSON Schema, the preview, the player, completion and the job-aid search pick it up.
"""

from __future__ import annotations

import importlib
import pkgutil

from lxp.authoring.kinds.base import HTTP_URL, KINDS, Completes, ItemKind, SelfCompletion, register

__all__ = ["HTTP_URL", "KINDS", "Completes", "ItemKind", "SelfCompletion", "register"]


def _load_kinds() -> None:
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        if module != "base":
            importlib.import_module(f"{__name__}.{module}")
    # The editor lists kinds in this order; the registry keeps it.
    ordered = sorted(KINDS.values(), key=lambda kind: (kind.order, kind.name))
    KINDS.clear()
    KINDS.update((kind.name, kind) for kind in ordered)


_load_kinds()
