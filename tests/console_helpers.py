"""For the console's tests: the ops token the test app is configured with, tenant tokens issued
straight into the database, and a free loopback port to serve on."""

from __future__ import annotations

import socket

from console.tokens import issue_token
from shop.db import unit_of_work

OPS = "ops-token-for-tests"


def token_for(url: str, tenant_id: int) -> str:
    with unit_of_work(url) as session:
        return issue_token(session, tenant_id).token


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
