"""The commands' way to the composition root: this process's root, checked for a current schema."""

from __future__ import annotations

from app.root import Root, process_root


def open_shop(*, require_schema: bool = True) -> Root:
    root = process_root()
    return root.require_schema() if require_schema else root
