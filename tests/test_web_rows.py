"""The fact lists' markup written in Python (adapters/web/rows.py `fact_lines`) against the
Jinja2 macro it replaced, rendered as the site renders templates, over hostile values."""

from __future__ import annotations

import pytest
from jinja2 import Environment

from adapters.web.rows import FactRow, fact_lines
from storage.models import Source

# macros.html's fact_lines, as it was: the reference.
MACRO = """{% macro fact_lines(rows, sources, links) %}
<ul class="facts">
{% for row in rows %}
  <li><span class="when">{{ row.when }}</span> ·
{% if row.label %}<span class="label">{{ row.label }}</span> {% endif %}{{ row.text }}
<a class="num" href="/fact/{{ row.id }}{{ lang_query }}">#{{ row.id }}</a>{% for n in row.refs %}\
{% set s = sources[n - 1] %}{% set href = links[n - 1] %} <span class="refs">{% if href %}\
<a href="{{ href }}" rel="nofollow noopener" title="{{ s.title }}">[{{ n }}]</a>{% else %}\
<a href="#source-{{ n }}" title="{{ s.title }}">[{{ n }}]</a>{% endif %}</span>{% endfor %}
</li>
{% endfor %}
</ul>
{% endmacro %}{{ fact_lines(rows, sources, links) }}"""

HOSTILE = "<script>alert('x')</script> & \"quoted\" 뷔 🎉"
SOURCES = [
    Source("Weverse <b>", "https://weverse.io/?a=1&b=\"2\""),
    Source(HOSTILE, None),
    Source("plain", "https://example.org/"),
]
ROWS = [
    FactRow("24 January 2024", "release", "IU released Love wins all", 9, (1, 3)),
    FactRow("2024년 1월 24일", "", HOSTILE, 10, ()),
    FactRow(HOSTILE, HOSTILE, "", 11, (2,)),
    FactRow("2020", "2nd anniversary", "x" * 300, 12, (3, 2, 1)),
]


@pytest.mark.parametrize("lang_query", ["", "?lang=ko", "?lang=<&\">"])
@pytest.mark.parametrize("rows", [ROWS, ROWS[:1], []])
def test_fact_lines_are_the_macros_bytes(lang_query: str, rows: list[FactRow]) -> None:
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    links = [SOURCES[0].url, None, SOURCES[2].url]
    expected = env.from_string(MACRO).render(
        rows=rows, sources=SOURCES, links=links, lang_query=lang_query
    )
    assert fact_lines(rows, SOURCES, links, lang_query) == expected
