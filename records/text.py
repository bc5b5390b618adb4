"""Text taken from a file or a record and put into a message: cut so one bad value cannot make a
5 MB error line or quarantine reason. Here, in the bottom layer, so adapters and domain share it."""

from __future__ import annotations

LIMIT = 200  # characters of the value kept; the rest is counted, not shown


def clipped(text: str, limit: int = LIMIT) -> str:
    """``text`` itself when it is at most ``limit`` characters long, else its first ``limit``
    characters, an ellipsis and the original length: ``aaaa… (5,243,000 characters)``."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def quoted(text: str, limit: int = LIMIT) -> str:
    """``repr(text)`` for a message, cut like ``clipped``: ``'aaaa…' (5,243,000 characters)``.

    The cut is made on the text, before ``repr`` escapes it, so a value of control characters
    shows a few times longer (``\\x01`` for one character); it stays bounded either way."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit] + '…'!r} ({len(text):,} characters)"
