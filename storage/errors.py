"""Errors the store raises; the core turns them into messages for people."""


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


class ConflictError(StoreError):
    """A write that would break a rule of the data (a duplicate key, a missing subject)."""


class BackupRefused(StoreError):
    """A backup or restore that was refused; the message says why, and nothing was changed."""
