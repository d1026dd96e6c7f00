"""Logging set up once: a filter on every handler redacts tokens before anything is written."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

REDACTED = "[REDACTED]"
# Secrets no setting holds, found by their place: Discord's per-interaction tokens in the
# URLs discord.py logs at DEBUG (/interactions/ID/TOKEN/callback, /webhooks/APP_ID/TOKEN/…),
# and any "…token" field of a logged payload (the gateway's INTERACTION_CREATE carries one).
_TOKEN_PLACES = re.compile(
    r"(?P<keep>/(?:interactions|webhooks)/\d+/)[^/\s?#'\"]+"
    r"|(?P<field>['\"]\w*token['\"]\s*:\s*['\"])[^'\"]+"
)


def _hide(match: re.Match[str]) -> str:
    return (match.group("keep") or match.group("field")) + REDACTED


class RedactSecrets(logging.Filter):
    """Replaces each secret in a record's final message (and traceback) with [REDACTED]:
    the configured ones (Settings.secrets()) and the tokens found by pattern (_TOKEN_PLACES).

    It sits on handlers, not loggers, so records from httpx, discord.py and
    python-telegram-bot (whose request URLs hold the Telegram token) pass through it too.
    """

    def __init__(self, secrets: Iterable[str]):
        super().__init__()
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return _TOKEN_PLACES.sub(_hide, text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def configure(level: str, secrets: Iterable[str], stream=None) -> logging.Handler:
    """Log to stderr through the redacting filter; quiet the chatty HTTP libraries."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if level.upper() in logging.getLevelNamesMapping() else "INFO")
    # httpx logs every request URL at INFO; Telegram URLs hold the token. Redacted anyway,
    # but there is no reason to log each poll.
    for noisy in ("httpx", "httpcore", "apscheduler.executors.default"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler
