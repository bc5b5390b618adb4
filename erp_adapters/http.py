"""HTTP sessions for the API adapters, whose network faults urllib3's ``Retry`` rides out.

JSON-RPC sends every call as POST, which urllib3 does not retry by default because a POST may
not be idempotent; each client decides which of its calls are safe and builds a session for
its reads and another for its writes, with the retries below and its own counts and statuses.
"""

from __future__ import annotations

from collections.abc import Collection

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry


def retry_policy(
    *,
    total: int,
    statuses: Collection[int],
    backoff: float,
    backoff_max: float = Retry.DEFAULT_BACKOFF_MAX,
    connect: int | None = None,
    read: int | None = None,
    status: int | None = None,
    other: int | None = None,
    methods: Collection[str] | None = frozenset({"POST"}),
) -> Retry:
    """Retries with exponential back-off and as much jitter as ``backoff``, ``Retry-After``
    honoured; ``None`` for a count leaves it to ``total``, ``methods=None`` retries any method."""
    return Retry(
        total=total,
        connect=connect,
        read=read,
        status=status,
        other=other,
        allowed_methods=methods,
        status_forcelist=statuses,
        backoff_factor=backoff,
        backoff_max=backoff_max,
        backoff_jitter=backoff,
        respect_retry_after_header=True,
        raise_on_status=False,  # the last answer is turned into one clear error by the client
    )


def retrying_session(retry: Retry) -> requests.Session:
    """A session that sends every http(s) request with ``retry``."""
    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    return session


def no_answer_reason(exc: requests.RequestException) -> str:
    """Why a request got no answer, in a few words that carry no url or credential."""
    if isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower():
        return "timed out"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError):
        return "the answer was cut off"
    return type(exc).__name__
