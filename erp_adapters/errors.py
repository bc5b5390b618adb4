"""Adapter errors, grouped by who must act: retry later, fix the source, or fix the set-up."""

from __future__ import annotations


class ErpError(Exception):
    """Base of every adapter error; its message is one line and never holds a secret."""


class TransientErpError(ErpError):
    """The ERP or the network failed in a way a later retry may fix (timeouts, 429, 5xx)."""


class NoAnswer(TransientErpError):
    """The request went out and no answer came back (a time-out, a dropped connection): the ERP
    may have done the work, or may still be doing it."""


class MalformedSource(ErpError):
    """A whole export or response cannot be read (bad header, wrong format): fix the source."""


class AdapterConfigError(ErpError):
    """The tenant's adapter is set up wrongly (unknown adapter, missing option, bad mapping)."""


class OrderRejected(ErpError):
    """The ERP refused an order for a reason in the order itself (unknown product, closed
    customer): retrying will not help until someone fixes the order or the ERP's data."""
