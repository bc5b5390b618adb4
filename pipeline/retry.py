"""When a batch step is tried again: on transient faults only, after a growing, jittered pause.

Bad data and quota stops never retry: a later attempt would fail or stop the same way.
"""

from __future__ import annotations

import random

from sqlalchemy.exc import OperationalError

from erp_adapters.errors import TransientErpError
from quotas.errors import LeaseExpired

TRANSIENT = (OperationalError, LeaseExpired, TransientErpError)  # a dropped connection, a lost lease, an ERP 5xx
RETRY_DELAYS = (1, 5, 20)  # seconds before each further attempt
RETRY_JITTER = 0.5  # up to +50 %, so workers that failed together do not retry together


def pause_before(attempt: int) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based), jittered."""
    return RETRY_DELAYS[attempt] * random.uniform(1, 1 + RETRY_JITTER)
