"""Where ERP secrets come from: the environment first, then a Prefect Secret block of that name."""

from __future__ import annotations

import os
from typing import cast

from erp_adapters.errors import AdapterConfigError


def resolve_secret(name: str) -> str:
    """An ERP password from the environment or, failing that, a Prefect Secret block."""
    if name in os.environ:
        return os.environ[name]
    from prefect.blocks.system import Secret  # only a tenant with a secret in a block needs Prefect here

    try:
        # Called from sync code, where Prefect runs the sync variant of load().
        block = cast(Secret, Secret.load(name.lower().replace("_", "-")))
        return str(block.get())
    except ValueError:
        raise AdapterConfigError(
            f"secret '{name}' is neither an environment variable nor a Prefect Secret block"
        ) from None
