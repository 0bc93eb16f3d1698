"""Uploaded files: stored outside static/, served only to who may see them."""
