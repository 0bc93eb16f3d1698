"""Imported content packages: SCORM 1.2 and 2004 (and cmi5's course structure), stored once by
hash, played in a sandboxed frame with the vendored runtime, their results recorded as events."""
