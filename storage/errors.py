"""Errors the store raises; the core turns them into messages for people."""

import sqlite3


class StoreError(Exception):
    """The store cannot be opened or used as it is; the message says why, for an operator."""


class NotASQLiteFile(StoreError):
    pass


class StoreTooNew(StoreError):
    pass


class StoreDamaged(StoreError):
    """The file opens but fails its integrity check: nothing may be written to it."""


class StoreReadOnly(StoreError):
    """The file or its folder cannot be written, so fanbot cannot serve from it."""


class StoreWriteFailed(StoreError, sqlite3.OperationalError):
    """A write the store could not take after it opened: it turned read-only, or its disk
    filled up or failed. Nothing of the write stayed. `reason` is a few words for a chat user;
    the message names the file, for the operator.

    Still a sqlite3.OperationalError, so callers that retry a failed write (the delivery
    ledger) go on doing so.
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class ConflictError(StoreError):
    """A write that would break a rule of the data (a duplicate key, a missing subject)."""


class BackupRefused(StoreError):
    """A backup or restore that was refused; the message says why, and nothing was changed."""


class StaleVersion(ConflictError):
    """The fact changed since the caller read it: the optimistic version check failed."""

    def __init__(self, fact_id: int, expected: int, current: int | None):
        super().__init__(f"fact {fact_id} is at version {current}, not {expected}")
        self.fact_id = fact_id
        self.expected = expected
        self.current = current
