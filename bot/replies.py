"""Platform-neutral replies (DESIGN rule 4): commands return these, adapters render them.

Every text here is plain: no markup. Renderers escape for their platform, so a name or a
fact holding HTML, Markdown or "@everyone" stays inert everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.i18n import Translator, translator
from storage.models import Fact, PartialDate, Source


@dataclass(frozen=True)
class Line:
    """One statement: its date (rendered per platform), its text, the sources it cites."""

    text: str
    when: PartialDate | None = None
    fact_id: int | None = None
    refs: tuple[int, ...] = ()  # 1-based numbers into Reply.sources


@dataclass(frozen=True)
class Field:
    name: str
    value: str


@dataclass(frozen=True)
class Choice:
    """An offer to pick one of several: pressing it runs `command` as whoever pressed it, so
    the core checks that person's rights exactly as if they had typed it."""

    label: str
    command: str  # a whole command line, e.g. "/catalog add <mbid>"
    description: str = ""


@dataclass(frozen=True)
class Reply:
    title: str
    lines: tuple[Line, ...] = ()
    fields: tuple[Field, ...] = ()
    sources: tuple[Source, ...] = ()
    footer: str | None = None
    error: bool = False
    usage: str | None = None
    # Errors and help are shown only to the caller where a platform can (Discord ephemeral).
    private: bool = False
    language: str | None = None  # the reader's (the core fills it in): labels, dates
    choices: tuple[Choice, ...] = ()  # buttons or a menu where the platform has them


@dataclass
class ReplyBuilder:
    """Collects lines and numbers their sources once each, in the order they are cited."""

    title: str
    lines: list[Line] = field(default_factory=list)
    fields: list[Field] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    footer: str | None = None
    language: str | None = None  # None: the request's language, which the core fills in
    choices: list[Choice] = field(default_factory=list)
    _numbers: dict[Source, int] = field(default_factory=dict, repr=False)

    def cite(self, sources: tuple[Source, ...]) -> tuple[int, ...]:
        """Each source's number, new ones appended: a dict, as a long answer cites dozens."""
        refs = []
        for s in sources:
            number = self._numbers.get(s)
            if number is None:
                self.sources.append(s)
                number = self._numbers[s] = len(self.sources)
            refs.append(number)
        return tuple(refs)

    def fact(self, fact: Fact, text: str | None = None, when: PartialDate | None = None) -> None:
        """A line stating a fact: dated (by default the fact's own date), numbered, cited."""
        self.lines.append(
            Line(text or fact.summary, when or fact.date, fact.id, self.cite(fact.sources))
        )

    def line(self, text: str, when: PartialDate | None = None) -> None:
        self.lines.append(Line(text, when))

    def build(self) -> Reply:
        return Reply(
            title=self.title,
            lines=tuple(self.lines),
            fields=tuple(self.fields),
            sources=tuple(self.sources),
            footer=self.footer,
            language=self.language,
            choices=tuple(self.choices),
        )


def error_reply(
    message: str,
    usage: str | None = None,
    suggestions: tuple[str, ...] = (),
    *,
    tr: Translator | None = None,
) -> Reply:
    """An error as a reply; `message` is already in the reader's language (`tr`)."""
    tr = tr or translator()
    lines = [Line(message)]
    if suggestions:
        lines.append(Line(tr._("Did you mean: {list}?").format(list=", ".join(suggestions))))
    return Reply(
        title=tr._("Sorry"),
        lines=tuple(lines),
        error=True,
        usage=usage,
        private=True,
        language=tr.language,
    )


def source_text(source: Source) -> str:
    parts = [source.title]
    if source.publisher:
        parts.append(source.publisher)
    if source.published:
        parts.append(source.published)
    text = " — ".join(parts)
    return f"{text} <{source.url}>" if source.url else text


def line_text(
    line: Line, when: Callable[[PartialDate], str], text: str | None = None
) -> str:
    """One line as every platform shows it: its date, its text (`text`: already escaped for
    the platform), its fact number and its source marks."""
    out = line.text if text is None else text
    if line.when is not None:
        out = f"{when(line.when)} · {out}"
    if line.fact_id is not None:
        out += f" (#{line.fact_id})"
    if line.refs:
        out += " " + "".join(f"[{r}]" for r in line.refs)
    return out


def plain_blocks(reply: Reply, when: Callable[[PartialDate], str] | None = None) -> list[str]:
    """The reply as plain-text blocks (title, lines, fields, sources, footer) for any renderer.

    `when` formats a date (default: the reply's language's); escaping for a markup language is
    the caller's job, applied to each block, which is why blocks are returned rather than one
    string.
    """
    tr = translator(reply.language)
    when = when or tr.date
    blocks = [reply.title]
    blocks += [line_text(line, when) for line in reply.lines]
    blocks += [f"{f.name}: {f.value}" for f in reply.fields]
    if reply.usage:
        blocks.append(tr._("Usage: {usage}").format(usage=reply.usage))
    if reply.sources:
        blocks.append(tr._("Sources:"))
        blocks += [f"[{i}] {source_text(s)}" for i, s in enumerate(reply.sources, 1)]
    if reply.footer:
        blocks.append(reply.footer)
    return blocks
