"""Authoring for L&D admins: course concepts, competencies, goals, modules, items, packages,
versions and publishing, import and export."""
