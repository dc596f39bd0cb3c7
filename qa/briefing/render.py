"""Briefings as Markdown (to paste into an email) and as one self-contained HTML page.

Markdown: a heading with the date, the headlines as a contents list, then per story a ``###``
headline, the cited summary, and its sources once each, ``[n][m] Title — Outlet, date (url)``.
Characters Markdown would act on are escaped in titles and summaries, so an article cannot inject
a link or an image into the email.

HTML: a contents list, the top story given more room, each story's sources listed once with the
passages they back folded in ``<details>`` (a [n] marker opens its passage). Inline CSS, no
scripts, no external assets (a Content-Security-Policy says so too), and every piece of article
content escaped. Only http(s) URLs become links.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

if TYPE_CHECKING:
    from qa.schemas import Briefing, BriefingLink, BriefingSection, CitationOut

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>])")
_MARKER = re.compile(r"\[(\d+)\]")
_ESCAPED_MARKER = re.compile(r"\\\[(\d+)\\\]")


def _day(p: dt.datetime | dt.date | None) -> str:
    return p.isoformat()[:10] if p is not None else "undated"


def safe_url(url: str | None) -> str | None:
    """An http(s) URL with spaces and brackets percent-encoded, or None for anything else."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(url, safe="/:?#@!$&*+,;=%~")  # brackets, quotes and spaces get encoded


def _md(text: str) -> str:
    """One line of Markdown-inert text: whitespace collapsed, active characters escaped."""
    text = " ".join(text.split())
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return re.sub(r"^(#+|[-+]|\d+\.)(\s)", r"\\\1\2", text)


def _md_summary(text: str) -> str:
    """A summary escaped like any text, but with its [n] markers left as they are."""
    return _ESCAPED_MARKER.sub(r"[\1]", _md(text))


def source_line(cites: list[CitationOut]) -> str:
    """``[n] Title — Outlet, date (url)``; one line per article, with every number citing it."""
    c = cites[0]
    url = safe_url(c.url)
    marks = "".join(f"[{x.n}]" for x in cites)
    line = f"{marks} {_md(c.title)} — {_md(c.source or 'unknown outlet')}, {_day(c.published)}"
    return f"{line} ({url})" if url else line


def _by_article(citations: list[CitationOut]) -> list[list[CitationOut]]:
    groups: dict[str, list[CitationOut]] = {}
    for c in citations:
        groups.setdefault(c.article_id, []).append(c)
    return list(groups.values())


def title_heading(briefing: Briefing) -> str:
    return f"Briefing for {briefing.date.isoformat()}" if briefing.date else "Briefing"


def display_headline(section: BriefingSection) -> str:
    return f"Opinion: {section.headline}" if section.kind == "opinion" else section.headline


def to_markdown(briefing: Briefing) -> str:
    lines = [f"## {title_heading(briefing)}", "", _md(briefing.message)]
    if len(briefing.sections) > 1:
        lines.append("")
        lines += [f"{k}. {_md(display_headline(s))}" for k, s in enumerate(briefing.sections, start=1)]
    for s in briefing.sections:
        lines += ["", f"### {_md(display_headline(s))}", "", _md_summary(s.summary)]
        lines += [f"\n_{_md(c)}_" for c in s.conflicts]
        if s.citations:
            lines.append("")
            lines += [f"- {source_line(group)}" for group in _by_article(s.citations)]
        cited = {c.article_id for c in s.citations}
        more = [a for a in s.articles if a.id not in cited]
        if more:
            lines.append("")
            for a in more:
                url = safe_url(a.url)
                also = f"- Also: {_md(a.title)} — {_md(a.source or 'unknown outlet')}, {_day(a.published)}"
                lines.append(f"{also} ({url})" if url else also)
    if briefing.also:
        lines += ["", "### Also today", ""]
        lines += [f"- {_link_md(link)}" for link in briefing.also]
    for note in briefing.notes:
        lines += ["", f"_Note: {_md(note)}_"]
    return "\n".join(lines).rstrip() + "\n"


_KIND_LABEL = {"opinion": "Opinion: ", "roundup": "Round-up: ", "service": "", "news": ""}


def _link_md(link: BriefingLink) -> str:
    first = link.articles[0] if link.articles else None
    outlets = ", ".join(dict.fromkeys(a.source or "unknown outlet" for a in link.articles))
    text = f"{_KIND_LABEL[link.kind]}{_md(link.headline)} — {_md(outlets)}"
    url = safe_url(first.url) if first else None
    return f"{text} ({url})" if url else text


# -- HTML ----------------------------------------------------------------------------------------

_CSS = """
:root { color-scheme: light; }
body { margin: 0; background: #f6f5f1; color: #1d1d1f;
  font: 17px/1.55 Georgia, "Times New Roman", serif; }
main { max-width: 46rem; margin: 0 auto; padding: 2rem 1.25rem 4rem; }
header h1 { font-size: 1.9rem; margin: 0 0 .25rem; }
header p { margin: 0; color: #5a5a5f; font-family: system-ui, sans-serif; font-size: .95rem; }
section.story { background: #fff; border: 1px solid #e2e0d8; border-radius: 6px;
  padding: 1.1rem 1.4rem 1rem; margin: 1.5rem 0; }
section.story h2 { font-size: 1.3rem; line-height: 1.3; margin: 0 0 .6rem; }
section.top { border-color: #c9c4b3; padding: 1.4rem 1.6rem 1.2rem; }
section.top h2 { font-size: 1.75rem; }
section.top .summary { font-size: 1.12rem; }
nav.toc { font-family: system-ui, sans-serif; font-size: .92rem; margin: 1.2rem 0 0; }
nav.toc ol { margin: .3rem 0 0; padding-left: 1.5rem; }
nav.toc a { text-decoration: none; }
.label { font-family: system-ui, sans-serif; font-size: .7rem; text-transform: uppercase; letter-spacing: .06em;
  background: #efe9d8; color: #6b5a2a; border-radius: 3px; padding: .1rem .35rem; vertical-align: middle; }
details { margin: .15rem 0 0; }
details summary { cursor: pointer; color: #6b6b70; font-size: .8rem; }
blockquote { margin: .3rem 0 .3rem .2rem; padding-left: .6rem; border-left: 2px solid #e2e0d8; }
.meta { font-family: system-ui, sans-serif; font-size: .8rem; color: #6b6b70; margin: 0 0 .6rem; }
.summary { margin: 0 0 .8rem; }
.summary sup a { text-decoration: none; font-family: system-ui, sans-serif; font-size: .75rem; }
ul.sources, ul.more { font-family: system-ui, sans-serif; font-size: .85rem; margin: 0; padding-left: 1.6rem; }
ul.sources li { margin: .35rem 0; }
blockquote { color: #55555a; font-style: italic; }
a { color: #1a4f8b; }
.empty, .note { font-family: system-ui, sans-serif; color: #6b6b70; }
@media print { body { background: #fff; } section.story { border: 0; padding: 0; } }
"""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _link(text: str, url: str | None) -> str:
    safe = safe_url(url)
    return f'<a href="{_e(safe)}" rel="noopener noreferrer">{_e(text)}</a>' if safe else _e(text)


def _summary_html(section: BriefingSection, k: int) -> str:
    """The escaped summary with each [n] marker linking to its source in the list below."""
    known = {c.n for c in section.citations}
    out, last = [], 0
    text = section.summary
    for m in _MARKER.finditer(text):
        out.append(_e(text[last : m.start()]))
        n = int(m.group(1))
        out.append(f'<sup><a href="#s{k}-c{n}">[{n}]</a></sup>' if n in known else _e(m.group()))
        last = m.end()
    out.append(_e(text[last:]))
    return "".join(out)


def _section_html(section: BriefingSection, k: int) -> str:
    outlets = list(dict.fromkeys(a.source or "unknown outlet" for a in section.articles))
    n = len(section.articles)
    meta = f"{n} article{'s' if n != 1 else ''} · {', '.join(outlets)}"
    label = ' <span class="label">Opinion</span>' if section.kind == "opinion" else ""
    parts = [
        f'<section class="story{" top" if k == 1 else ""}" id="story-{k}">',
        f"<h2>{_e(section.headline)}{label}</h2>",
        f'<p class="meta">{_e(meta)}</p>',
        f'<p class="summary">{_summary_html(section, k)}</p>',
        *(f'<p class="note">{_e(c)}</p>' for c in section.conflicts),
    ]
    if section.citations:
        # Each article once, with the numbers it backs; its quoted passages fold away.
        parts.append('<ul class="sources">')
        for cites in _by_article(section.citations):
            c = cites[0]
            marks = "".join(f"[{x.n}]" for x in cites)
            src = f" — {_e(c.source or 'unknown outlet')}, {_e(_day(c.published))}"
            quotes = "".join(f'<blockquote id="s{k}-c{x.n}">[{x.n}] “{_e(x.quote)}”</blockquote>' for x in cites)
            parts.append(
                f"<li>{_e(marks)} {_link(c.title, c.url)}{src}"
                f"<details><summary>Quoted passage{'s' if len(cites) > 1 else ''}</summary>{quotes}</details></li>"
            )
        parts.append("</ul>")
    cited = {c.article_id for c in section.citations}
    more = [a for a in section.articles if a.id not in cited]
    if more:
        parts.append('<p class="meta">Also:</p><ul class="more">')
        for a in more:
            src = f" — {_e(a.source or 'unknown outlet')}, {_e(_day(a.published))}"
            parts.append(f"<li>{_link(a.title, a.url)}{src}</li>")
        parts.append("</ul>")
    parts.append("</section>")
    return "\n".join(parts)


def _toc_html(briefing: Briefing) -> str:
    items = "".join(
        f'<li><a href="#story-{k}">{_e(display_headline(s))}</a></li>' for k, s in enumerate(briefing.sections, start=1)
    )
    return f'<nav class="toc" aria-label="Stories"><ol>{items}</ol></nav>'


def _link_html(link: BriefingLink) -> str:
    first = link.articles[0] if link.articles else None
    outlets = ", ".join(dict.fromkeys(a.source or "unknown outlet" for a in link.articles))
    headline = _link(_KIND_LABEL[link.kind] + link.headline, first.url if first else None)
    return f'{headline} <span class="meta">{_e(outlets)}</span>'


def render_html(briefing: Briefing) -> str:
    """One self-contained page: inline CSS, no scripts, nothing fetched."""
    title = title_heading(briefing)
    toc = _toc_html(briefing) if len(briefing.sections) > 1 else ""
    body = [f"<header><h1>{_e(title)}</h1><p>{_e(briefing.message)}</p>{toc}</header>"]
    if not briefing.sections:
        body.append(f'<p class="empty">{_e(briefing.message)}</p>')
    body += [_section_html(s, k) for k, s in enumerate(briefing.sections, start=1)]
    if briefing.also:
        items = "".join(f"<li>{_link_html(link)}</li>" for link in briefing.also)
        body.append(f'<section class="also"><h2>Also today</h2><ul class="more">{items}</ul></section>')
    body += [f'<p class="note">Note: {_e(note)}</p>' for note in briefing.notes]
    csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(body)
        + "\n</main>\n</body>\n</html>\n"
    )
