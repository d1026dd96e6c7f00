"""The one error type a person sees: it carries the message (and usage) to show them."""

from __future__ import annotations


class FanbotError(Exception):
    """Bad input or a refused request. Adapters render `message` (and `usage`) in one place."""

    def __init__(
        self, message: str, *, usage: str | None = None, suggestions: tuple[str, ...] = ()
    ):
        super().__init__(message)
        self.message = message
        self.usage = usage
        self.suggestions = suggestions

    def with_usage(self, usage: str) -> FanbotError:
        if self.usage is None:
            self.usage = usage
        return self


class NotAllowed(FanbotError):
    """The caller's role does not permit this command; nothing was changed."""
