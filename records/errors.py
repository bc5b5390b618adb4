"""Errors about the shop's own configuration and records: each is one clear line for the user."""

from __future__ import annotations


class ShopError(Exception):
    """Base of the errors the CLI shows as one line."""


class NotFound(ShopError):
    """A tenant, plan or record that does not exist."""


class InvalidInput(ShopError):
    """A value the user gave that cannot be used."""


class SchemaNotReady(ShopError):
    """The shop database is missing or behind the code's migrations."""
