"""The one error type a person sees: it carries the message (and usage) to show them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.i18n import Translator, translator

Said = Callable[[Translator], str]  # a param's words, said in the reader's language


class FanbotError(Exception):
    """Bad input or a refused request. Adapters render `message` (and `usage`) in one place.

    The message is an English msgid with `{placeholders}` filled from `params` when shown, so
    the core translates it into the reader's language (`text`); `message` is the English. A
    param may be a `Said`, a function of the reader's translator, for words inside it (a list
    joined by "or", a region's name) that must be in the reader's language too.
    """

    def __init__(
        self,
        message: str,
        *,
        usage: str | None = None,
        suggestions: tuple[str, ...] = (),
        **params: Any,
    ):
        self.template = message
        self.params = params
        super().__init__(self.message)
        self.usage = usage
        self.suggestions = suggestions

    @property
    def message(self) -> str:
        return self.template.format(**self._said(translator())) if self.params else self.template

    def text(self, tr: Translator) -> str:
        """The message in the reader's language (English where no translation exists)."""
        return tr.fill(self.template, **self._said(tr))

    def _said(self, tr: Translator) -> dict[str, Any]:
        return {k: v(tr) if callable(v) else v for k, v in self.params.items()}

    def with_usage(self, usage: str) -> FanbotError:
        if self.usage is None:
            self.usage = usage
        return self


class NotAllowed(FanbotError):
    """The caller's role does not permit this command; nothing was changed."""
