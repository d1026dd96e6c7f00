"""A Babel extraction method for our Python: gettext calls, plus what declarations say.

`declare("milestone", "help", Param("who", ..., "help", choices=(...)))` carries words a person
reads (the help) and names each platform shows in its menus (command, option and choice names,
translated with msgctxt "command", "param", "choice"). They are plain arguments, not gettext
calls, so Babel's own Python extractor does not see them; this one adds them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

from babel.messages.extract import extract_python

Found = tuple[int, str, Any, list[str]]


def extract(fileobj: Any, keywords: Any, comment_tags: Any, options: Any) -> Iterator[Found]:
    source = fileobj.read()
    fileobj.seek(0)
    yield from extract_python(fileobj, keywords, comment_tags, options)
    yield from declarations(source.decode(options.get("encoding", "utf-8")))


def _text(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def declarations(source: str) -> Iterator[Found]:
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        if node.func.id == "declare" and len(node.args) >= 2:
            name, help_text = _text(node.args[0]), _text(node.args[1])
            if name:
                yield node.lineno, "pgettext", ("command", name), []
            if help_text:
                yield node.lineno, "gettext", help_text, []
        elif node.func.id == "Param":
            args = node.args
            name = _text(args[0]) if args else None
            help_text = _text(args[2]) if len(args) > 2 else None
            if name:
                yield node.lineno, "pgettext", ("param", name), []
            if help_text:
                yield node.lineno, "gettext", help_text, []
            for kw in node.keywords:
                if kw.arg == "choices" and isinstance(kw.value, ast.Tuple):
                    for element in kw.value.elts:
                        if (choice := _text(element)) is not None:
                            yield node.lineno, "pgettext", ("choice", choice), []
