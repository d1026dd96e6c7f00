"""Forms: a command declared with `form=True` asks for its values, built from its declaration.

`form_fields` is the form itself (its questions, in the declared order, with their help,
whether each is needed and how long it may be); every platform renders it. Discord shows it
as one modal. A platform without modals (Telegram) runs `Forms`: each value not given is asked
one message at a time and checked as it arrives (a date that is no date is asked again, nothing
is lost). /skip leaves an optional value out, /done saves once the required ones are in,
/cancel drops the form. A form belongs to the one person who opened it, in that chat, and
lapses after FORM_SECONDS of silence. The core checks everything again when the form is done,
exactly as for a one-line command.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

from cachetools import TTLCache

from bot.commands import Command, Param
from bot.convert import convert
from bot.core import Core
from bot.errors import FanbotError
from bot.i18n import N_, Translator, translator
from bot.replies import Line, Reply

FORM_SECONDS = 15 * 60
FORMS_KEPT = 4096
CONTROLS = frozenset({"cancel", "skip", "done"})

FormKey = tuple[Hashable, Hashable]  # (chat, person), in the platform's own ids


def _label(param: Param, tr: Translator | None = None) -> str:
    """The parameter's name as a person reads it, in the form's language where it has one."""
    if tr is None or tr.language == "en":
        return param.name.replace("_", " ")
    return tr.pgettext("param", param.name).replace("_", " ")


@dataclass(frozen=True)
class FormField:
    """One question of a form, as every platform shows it."""

    name: str  # the parameter the answer is for
    label: str  # "member", "source url": the parameter's name as a person reads it
    help: str
    required: bool
    max_length: int


def form_fields(command: Command) -> list[FormField]:
    """The form of a command: one question per parameter, in the order it declares them."""
    return [
        FormField(p.name, _label(p), p.help, p.required, p.max_length) for p in command.params
    ]


@dataclass
class Form:
    command: Command
    given: dict[str, str]
    pending: list[Param]  # still to ask, in the order the command declares them
    steps: int  # how many values the form asks for in all
    tr: Translator  # the language the form was opened in: every prompt keeps it

    def missing(self) -> list[Param]:
        return [p for p in self.pending if p.required]


@dataclass(frozen=True)
class Ready:
    """Every required value is in: run the command with these raw values."""

    command: Command
    raw: dict[str, str]


Step = Reply | Ready


class Forms:
    """The forms open in every chat, and what each next message does to them."""

    def __init__(self, core: Core):
        self.core = core
        self._open: TTLCache[FormKey, Form] = TTLCache(FORMS_KEPT, FORM_SECONDS)

    @staticmethod
    def wanted(command: Command | None, given: Mapping[str, str]) -> bool:
        """A form command missing a required value: ask for it rather than refuse."""
        return bool(
            command
            and command.form
            and any(p.required and p.name not in given for p in command.params)
        )

    def is_open(self, key: FormKey) -> bool:
        return key in self._open

    def open(
        self,
        key: FormKey,
        command: Command,
        given: Mapping[str, str],
        tr: Translator | None = None,
    ) -> Reply:
        pending = [p for p in command.params if p.name not in given]
        form = Form(command, dict(given), pending, len(pending), tr or translator("en"))
        self._open[key] = form
        return self._prompt(form)

    async def answer(self, key: FormKey, text: str) -> Step | None:
        """The asker's next message: the value of the step they are at."""
        form = self._open.get(key)
        if form is None:
            return None
        param = form.pending[0]
        try:
            await convert(param, text, self.core.resolver, self.core.store.facts)
        except FanbotError as exc:
            self._open[key] = form  # still open, for another FORM_SECONDS
            return self._prompt(form, problem=exc.text(form.tr))
        form.given[param.name] = text
        form.pending.pop(0)
        return self._next(key, form)

    def control(self, key: FormKey, name: str) -> Step | None:
        """/cancel, /skip or /done while a form is open; None when none is."""
        form = self._open.get(key)
        if form is None:
            return None
        tr = form.tr
        if name == "cancel":
            del self._open[key]
            return Reply(
                title=tr._("/{command} cancelled").format(command=form.command.name),
                lines=(Line(tr._("Nothing was saved.")),),
                language=tr.language,
            )
        if name == "skip":
            if form.pending[0].required:
                label = _label(form.pending[0], tr)
                return self._prompt(form, problem=tr.fill(N_("{name} is needed."), name=label))
            form.pending.pop(0)
            return self._next(key, form)
        missing = form.missing()
        if missing:
            still = tr._(", ").join(_label(p, tr) for p in missing)
            return self._prompt(form, problem=tr._("Still needed: {names}.").format(names=still))
        del self._open[key]
        return Ready(form.command, form.given)

    def _next(self, key: FormKey, form: Form) -> Step:
        if not form.pending:
            del self._open[key]
            return Ready(form.command, form.given)
        self._open[key] = form
        return self._prompt(form)

    @staticmethod
    def _prompt(form: Form, problem: str | None = None) -> Reply:
        tr = form.tr
        param = form.pending[0]
        step = form.steps - len(form.pending) + 1
        lines = [Line(problem)] if problem else []
        lines.append(Line(f"{_label(param, tr).capitalize()}: {tr._(param.help)}."))
        if param.required:
            lines.append(Line(tr._("Reply with it, or /cancel.")))
        elif form.missing():
            lines.append(Line(tr._("Reply with it, /skip to leave it out, or /cancel.")))
        else:
            lines.append(
                Line(tr._("Reply with it, /skip to leave it out, /done to save now, or /cancel."))
            )
        title = tr._("/{command}, step {step} of {steps}").format(
            command=form.command.name, step=step, steps=form.steps
        )
        return Reply(title=title, lines=tuple(lines), language=tr.language)
