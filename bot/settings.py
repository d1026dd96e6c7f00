"""Every setting fanbot reads, from the environment and `.env` (`.env.example` lists the same)."""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import io
import re
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv.parser import Binding, parse_stream
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.i18n import LANGUAGES, normalize

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_FILE = Path(".env")  # in the working directory, like a relative FANBOT_DB
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
ADMIN_PLATFORMS = ("discord", "telegram", "console")
CATALOG_SECONDARY_TYPES = ("compilation", "live", "remix")


def packaged_seeds() -> Path:
    """The seed folder installed with fanbot (a checkout's seeds/ when installed editable)."""
    return Path(str(resources.files("seeds")))


class SettingsError(Exception):
    """A setting or the .env file is wrong; the message names where, and never a value."""


class Settings(BaseSettings):
    """Names are the environment variables operators set; keep them exactly."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    fanbot_db: Path = Field(Path("data/fanbot.db"), description="the SQLite file")
    fanbot_seeds: Path = Field(default_factory=packaged_seeds, description="seed YAML folder")
    fanbot_timezone: str = Field("Asia/Seoul", description="the fandom's clock for dates")
    fanbot_log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    fanbot_language: str = Field(
        "en", description="replies where neither the chat nor the person chose: en or ko"
    )
    fanbot_admins: str = Field("", description="bot admins: platform:user_id, comma-separated")
    fanbot_reminder_grace_hours: float = Field(
        6.0, ge=0, le=48, description="how late a missed daily post may still go out"
    )
    fanbot_keep_answers: bool = Field(
        True, description="keep answers until the store changes (off: each computed afresh)"
    )
    fanbot_contact: str = Field(
        "", description="how MusicBrainz can reach this bot's operator (e-mail or web page)"
    )
    fanbot_musicbrainz_url: str = Field(
        "https://musicbrainz.org/ws/2/", description="the MusicBrainz web service"
    )
    fanbot_musicbrainz_interval: float = Field(
        1.0, ge=0.05, le=60, description="seconds between two requests to MusicBrainz"
    )
    fanbot_catalog_sync_time: str | None = Field(
        None, description="HH:MM (in FANBOT_TIMEZONE) to resync followed artists daily"
    )
    fanbot_catalog_secondary_types: str = Field(
        "", description="release-group types to import too: compilation, live, remix"
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_api_base_file_url: str = "https://api.telegram.org/file/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_listen: str = "0.0.0.0"
    telegram_webhook_port: int = Field(8443, ge=1, le=65535)
    telegram_webhook_secret: SecretStr | None = None

    # The website and calendar feeds (adapters/web/): `fanbot web`, or beside the bots in
    # `fanbot run` when FANBOT_WEB_PORT is set; links (and /calendar) use FANBOT_PUBLIC_URL.
    fanbot_web_port: int | None = Field(None, ge=1, le=65535)
    fanbot_web_host: str = "127.0.0.1"
    fanbot_public_url: str | None = None

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

    @field_validator("fanbot_db", mode="before")
    @classmethod
    def _db_named(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            raise ValueError("is empty; name the SQLite file, or leave it out for data/fanbot.db")
        if isinstance(value, str) and re.match(r"(?i)postgres(ql)?://", value.strip()):
            # Made into a path, a URL became a SQLite file in a folder named "postgresql:".
            raise ValueError(
                "a PostgreSQL URL is not yet a store fanbot can serve from (facts, names and "
                "search run on SQLite only so far); name the SQLite file"
            )
        return value

    @field_validator("fanbot_seeds")
    @classmethod
    def _seed_folder(cls, value: Path) -> Path:
        # A wrong folder would seed nothing, and every answer would read as lost data.
        if not value.is_dir():
            raise ValueError(f"{value} is not a folder of seed files")
        return value

    @field_validator("fanbot_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        language = normalize(value)
        if language is None:
            raise ValueError(f"unknown language {value!r}; use one of {', '.join(LANGUAGES)}")
        return language

    @field_validator("fanbot_log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.strip().upper() not in LOG_LEVELS:
            raise ValueError(f"unknown log level {value!r}; use one of {', '.join(LOG_LEVELS)}")
        return value.strip().upper()

    @field_validator("fanbot_admins")
    @classmethod
    def _admin_ids(cls, value: str) -> str:
        for item in filter(None, (part.strip() for part in value.split(","))):
            platform, _, user = (p.strip() for p in item.partition(":"))
            if platform.lower() not in ADMIN_PLATFORMS or not user:
                raise ValueError(
                    f"{item!r} is not platform:id; write discord:123, telegram:456 or "
                    "console:NAME, comma-separated"
                )
            if platform.lower() != "console" and not user.isdigit():
                raise ValueError(f"{item!r}: a {platform} user id is a number")
        return value

    @field_validator(
        "telegram_bot_token", "discord_token", "telegram_webhook_secret", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("fanbot_web_port", "fanbot_public_url", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("fanbot_public_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().rstrip("/")
        if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
            raise ValueError("is the site's address, like https://fans.example.org")
        return value

    @field_validator("fanbot_catalog_sync_time", mode="before")
    @classmethod
    def _sync_time(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        hh_mm = r"([01]?\d|2[0-3]):[0-5]\d"
        if not isinstance(value, str) or not re.fullmatch(hh_mm, value.strip()):
            raise ValueError(f"{value!r} is not a time like 04:30 (24-hour HH:MM)")
        return value.strip()

    @property
    def catalog_sync_time(self) -> dt.time | None:
        if self.fanbot_catalog_sync_time is None:
            return None
        hour, minute = self.fanbot_catalog_sync_time.split(":")
        return dt.time(int(hour), int(minute))

    @field_validator("fanbot_catalog_secondary_types")
    @classmethod
    def _known_secondary(cls, value: str) -> str:
        for item in filter(None, (p.strip().lower() for p in value.split(","))):
            if item not in CATALOG_SECONDARY_TYPES:
                raise ValueError(
                    f"{item!r} is not one of {', '.join(CATALOG_SECONDARY_TYPES)}, comma-separated"
                )
        return value

    @model_validator(mode="after")
    def _polite_to_musicbrainz(self) -> Settings:
        host = urlsplit(self.fanbot_musicbrainz_url).hostname or ""
        if not urlsplit(self.fanbot_musicbrainz_url).scheme.startswith("http") or not host:
            raise ValueError("FANBOT_MUSICBRAINZ_URL must be an http(s) address")
        if host.endswith("musicbrainz.org") and self.fanbot_musicbrainz_interval < 1.0:
            raise ValueError(
                "FANBOT_MUSICBRAINZ_INTERVAL below 1 second is for a mirror or a test server; "
                "musicbrainz.org allows one request a second"
            )
        return self

    @property
    def catalog_secondary_types(self) -> frozenset[str]:
        """MusicBrainz's names of the secondary types to import too ("Compilation", ...)."""
        parts = (p.strip().lower() for p in self.fanbot_catalog_secondary_types.split(","))
        return frozenset(p.capitalize() for p in parts if p)

    @field_validator("discord_shard_count", mode="before")
    @classmethod
    def _shard_count(cls, value: object) -> object:
        # Blank is unset (.env.example's line uncommented); a count Discord refuses is said here.
        if isinstance(value, str):
            if not value.strip():
                return None
            if not re.fullmatch(r"[+-]?\d+", value.strip()):
                raise ValueError(f"{value.strip()!r} is not a whole number of shards")
            value = int(value)
        if isinstance(value, int) and value < 1:
            raise ValueError("must be 1 or more")
        return value

    @field_validator("discord_shard_ids", mode="before")
    @classmethod
    def _shard_ids(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip(" ,")):
            return None
        for part in filter(None, (p.strip() for p in str(value).split(","))):
            if not part.isdigit():
                raise ValueError(f"{part!r} is not a shard id; write ids like 0,1")
        return str(value)

    @model_validator(mode="after")
    def _valid_shards(self) -> Settings:
        """Ids of the count's shards only: Discord closes an IDENTIFY beyond them (4010)."""
        count, ids = self.discord_shard_count, self.discord_shards
        if ids is not None and count is None:
            raise ValueError(
                "DISCORD_SHARD_IDS: needs DISCORD_SHARD_COUNT, the bot's total number of shards"
            )
        for shard in ids or ():
            if count is not None and shard >= count:
                raise ValueError(
                    f"DISCORD_SHARD_IDS: {shard} is not a shard of DISCORD_SHARD_COUNT={count}"
                    f" (ids are 0 to {count - 1})"
                )
        return self

    @property
    def discord_shards(self) -> list[int] | None:
        """This process's shard ids from DISCORD_SHARD_IDS=0,1 (None: every shard)."""
        if self.discord_shard_ids is None:
            return None
        return sorted({int(p) for p in self.discord_shard_ids.split(",") if p.strip()})

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
        """Values that must never reach a log line, the webhook secret derived from the token
        included (python-telegram-bot logs setWebhook's parameters at DEBUG)."""
        values = [
            s.get_secret_value()
            for s in (self.telegram_bot_token, self.discord_token, self.telegram_webhook_secret)
            if s is not None and s.get_secret_value()
        ]
        if self.telegram_bot_token is not None:
            values.append(self.webhook_secret())
        return values


def load(env_file: Path | None = ENV_FILE) -> Settings:
    """The settings, or one SettingsError naming the setting or the .env line that is wrong."""
    if env_file is not None:
        check_env_file(env_file)
    try:
        return Settings(_env_file=env_file)  # type: ignore[call-arg]
    except ValidationError as exc:
        # A check across settings has no one field: its message names the settings itself.
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])).upper()}: " * bool(e["loc"])
            + e["msg"].removeprefix("Value error, ")
            for e in exc.errors()
        )
        raise SettingsError(f"a setting is wrong: {problems}") from None


def check_env_file(path: Path) -> None:
    """Refuse a .env that would be read only in part: not UTF-8, or a line that is no NAME=value.

    python-dotenv skips such a line with a warning, so the setting on it silently falls back
    to its default. The message names the file, the line and the setting, never the value.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise SettingsError(f"{path} cannot be read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SettingsError(
            f"{path} line {line} is not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
            "save the file as UTF-8"
        ) from None
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            name = _named(binding)
            dropped = f"{name} was not set from it" if name else "it sets nothing"
            raise SettingsError(
                f"{path} line {binding.original.line} is not NAME=value, so {dropped}; "
                "fix or remove the line (quote a value with spaces)"
            )


def _named(binding: Binding) -> str | None:
    """The setting a broken line meant: NAME before an '=', or a setting's name up front."""
    line = binding.original.string
    found = re.match(r"\s*(?:export\s+)?([A-Za-z_]\w*)\s*(=)?", line)
    if found is None:
        return None
    name = found.group(1).upper()
    return name if found.group(2) or name.lower() in Settings.model_fields else None


def unread_names(path: Path = ENV_FILE) -> list[str]:
    """Warnings for .env lines that set a FANBOT_, TELEGRAM_ or DISCORD_ name fanbot does not
    read: most likely a typo, whose setting then silently keeps its default.

    Other names are left alone: a .env is often shared with other tools (docker compose).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []  # check_env_file has said what is wrong with it
    known = sorted(name.upper() for name in Settings.model_fields)
    warnings = []
    for binding in parse_stream(io.StringIO(text)):
        name = (binding.key or "").upper()
        if name.startswith(("FANBOT_", "TELEGRAM_", "DISCORD_")) and name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            warnings.append(
                f"{path} line {binding.original.line} sets {name}, which fanbot does not "
                f"read{hint}; see .env.example"
            )
    return warnings
