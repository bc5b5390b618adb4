"""Deploy the flows in ``prefect.yaml`` from the local checkout: no git clone, no image."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from records.errors import InvalidInput

CHECKOUT = Path(__file__).resolve().parent.parent


def deploy_all(project: Path = CHECKOUT, names: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``prefect deploy`` in the project directory, which Prefect records as the directory the
    workers run the flows from. ``names`` picks deployments (``sync-tenant``); default: all."""
    if not (project / "prefect.yaml").is_file():
        raise InvalidInput(f"no prefect.yaml in {project}: run from an erp-sync checkout or pass --project")
    selection = [arg for name in names for arg in ("--name", name)] if names else ["--all"]
    return subprocess.run(
        [sys.executable, "-m", "prefect", "--no-prompt", "deploy", *selection],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
