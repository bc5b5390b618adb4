"""For the console's tests: the ops token the test app is configured with, tenant tokens issued
straight into the database."""

from __future__ import annotations

from console.tokens import issue_token
from tests.db import unit_of_work

OPS = "ops-token-for-tests"


def token_for(url: str, tenant_id: int) -> str:
    with unit_of_work(url) as session:
        return issue_token(session, tenant_id).token
