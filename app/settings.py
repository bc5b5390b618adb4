"""Runtime settings, read from ``ERP_SYNC_*`` environment variables or a ``.env`` file."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ERP_SYNC_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path(".erp-sync"), description="Where the embedded database and demo files live.")
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL of the shop database; empty means SQLite under data_dir.",
    )
    batch_size: int = Field(
        default=20_000,
        gt=0,
        description="Rows per extract/transform/load batch; each batch costs a few fixed quota-ledger round trips.",
    )
    credit_margin: float = Field(
        default=0.20, ge=0, lt=10, description="Headroom `credits estimate` keeps when it recommends a plan."
    )
    lease_seconds: int = Field(
        default=900, gt=0, description="How long a quota reservation lives before it is returned."
    )
    slot_wait_seconds: int = Field(
        default=1800,
        gt=0,
        description="Seconds a run waits for its tenant's slot, held by another of its runs, before ending TenantBusy.",
    )
    order_lease_seconds: int = Field(
        default=300,
        gt=0,
        description="How long a worker owns an order it is sending; then another run asks the ERP and takes over.",
    )

    priority_below: float = Field(
        default=0.20,
        ge=0,
        le=1,
        description="Share of the process allowance left below which a sync runs in the tenant's priority order.",
    )

    console_ops_token: SecretStr | None = Field(
        default=None,
        description="The usage console's ops token: it sees and changes every tenant. Unset: no ops access.",
    )
    console_cookie_secret: SecretStr | None = Field(
        default=None,
        description=(
            "Signs the usage console's login cookie and CSRF tokens. Unset: one is made on the first start and "
            "kept in data_dir/console-cookie-secret (mode 0600), so sign-ins survive a restart."
        ),
    )
    console_origins: list[str] = Field(
        default_factory=list,
        description=(
            "Origins (scheme://host[:port]) besides the Host asked for from which the console takes form posts and "
            'cookie API calls, e.g. ["https://console.example.com"] behind a proxy that rewrites Host.'
        ),
    )

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'shop.db').resolve()}"
        return self
