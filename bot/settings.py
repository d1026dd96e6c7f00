"""Every setting fanbot reads, from the environment and `.env` (`.env.example` lists the same)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Names are the environment variables operators set; keep them exactly."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    fanbot_db: Path = Field(Path("data/fanbot.db"), description="the SQLite file")
    fanbot_seeds: Path = Field(PROJECT_ROOT / "seeds", description="seed YAML folder")
    fanbot_timezone: str = Field("Asia/Seoul", description="the fandom's clock for dates")
    fanbot_log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    fanbot_admins: str = Field("", description="bot admins: platform:user_id, comma-separated")
    fanbot_reminder_grace_hours: float = Field(
        6.0, ge=0, le=48, description="how late a missed daily post may still go out"
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_api_base_file_url: str = "https://api.telegram.org/file/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_listen: str = "0.0.0.0"
    telegram_webhook_port: int = Field(8443, ge=1, le=65535)
    telegram_webhook_secret: SecretStr | None = None

    discord_token: SecretStr | None = None
    discord_api_base_url: str | None = None
    discord_gateway_url: str | None = None
    discord_shard_count: int | None = None
    discord_shard_ids: str | None = None

    @field_validator("fanbot_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name") from None
        return value

    @field_validator(
        "telegram_bot_token", "discord_token", "telegram_webhook_secret", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _valid_shards(self) -> Settings:
        count, ids = self.discord_shard_count, self.discord_shards
        if count is not None and count < 1:
            raise ValueError("DISCORD_SHARD_COUNT must be 1 or more")
        if ids is not None:
            if count is None:
                raise ValueError("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT")
            if any(i < 0 or i >= count for i in ids):
                raise ValueError(f"DISCORD_SHARD_IDS must be between 0 and {count - 1}")
        return self

    @property
    def discord_shards(self) -> list[int] | None:
        """This process's shard ids from DISCORD_SHARD_IDS=0,1 (None: every shard)."""
        text = (self.discord_shard_ids or "").strip()
        if not text:
            return None
        try:
            return sorted({int(part) for part in text.split(",") if part.strip()})
        except ValueError:
            raise ValueError("DISCORD_SHARD_IDS is a comma-separated list like 0,1") from None

    def webhook_secret(self) -> str:
        """What Telegram sends back with each webhook call: set, or derived from the token."""
        if self.telegram_webhook_secret is not None:
            return self.telegram_webhook_secret.get_secret_value()
        token = self.telegram_bot_token.get_secret_value() if self.telegram_bot_token else ""
        return hashlib.sha256(f"fanbot-webhook:{token}".encode()).hexdigest()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.fanbot_timezone)

    @property
    def admins(self) -> frozenset[tuple[str, str]]:
        """(platform, user id) pairs from FANBOT_ADMINS=discord:123,telegram:456."""
        pairs = set()
        for item in self.fanbot_admins.split(","):
            platform, _, user = item.strip().partition(":")
            if platform and user:
                pairs.add((platform.strip().lower(), user.strip()))
        return frozenset(pairs)

    def secrets(self) -> list[str]:
        """Values that must never reach a log line."""
        return [
            s.get_secret_value()
            for s in (self.telegram_bot_token, self.discord_token, self.telegram_webhook_secret)
            if s is not None and s.get_secret_value()
        ]
