"""Which failures to take a tenant's slot are waited out: an API that answers 5xx (a 503 under
load) is asked again; a refusal (a limit that is gone) ends the run at once."""

from __future__ import annotations

import httpx
import pytest
from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError

from flows.concurrency import _server_error


def acquisition_error(status: int | None) -> ConcurrencySlotAcquisitionError:
    request = httpx.Request("POST", "http://127.0.0.1:4200/api/v2/concurrency_limits/increment-with-lease")
    try:
        try:
            if status is not None:
                raise httpx.HTTPStatusError("answer", request=request, response=httpx.Response(status, request=request))
            raise RuntimeError("limits must be created before acquiring slots")
        except Exception as cause:
            raise ConcurrencySlotAcquisitionError("Unable to acquire concurrency slots") from cause
    except ConcurrencySlotAcquisitionError as error:
        return error


@pytest.mark.parametrize(
    ("status", "waited_out"), [(503, True), (500, True), (404, False), (409, False), (None, False)]
)
def test_only_a_server_error_is_waited_out(status: int | None, waited_out: bool) -> None:
    assert _server_error(acquisition_error(status)) is waited_out
