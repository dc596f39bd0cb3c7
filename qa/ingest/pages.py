"""Split a scraped news page into its articles and strip the page furniture.

Pages of this kind hold a main article (title on the first line, then its body), furniture
(share/comment/AI-feature blocks) and often a "Related Articles" list whose entries each open
with a header: an outlet line, a time line ("13 minutes ago", "July 1, 2025"), sometimes a
"- Outlet" line, then the title line and the body. Bodies carry inline furniture too: photo
captions with their credits, "Advertisement" tokens, byline/dateline runs, "With Post wires".

Dates: absolute ones as the page gives them. A relative one ("32 minutes ago") is resolved
only against an absolute time the page itself states (an entry that gives both fixes the
page's "now"); otherwise it stays unknown — never the time of ingest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

# Whole lines that are never article text.
_FURNITURE_LINE = re.compile(
    r"^(?:hashtags|#\S+(?:\s+#\S+)*|try our ai features|explore what .{1,40} can do for you:?|comments?"
    r"|no comments yet\.*|be the first to comment\.*|related (?:articles|stories|news)|more from .{1,40}"
    r"|advertisement|sponsored|share(?: this(?: article)?)?|read more|recommended(?: for you)?"
    r"|sign up for .{1,60}|subscribe(?: now)?|follow us.{0,40}|photo:.*|image:.*)$",
    re.I,
)
_SECTION_END = re.compile(r"^(?:hashtags|try our ai features|comments|related (?:articles|stories|news))$", re.I)
_RELATED = re.compile(r"^related (?:articles|stories|news)$", re.I)

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}
_RELATIVE = re.compile(r"^(?:(an?|\d+)\s+(second|minute|hour|day|week)s?\s+ago|yesterday|just now)$", re.I)
_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_ABS_DATE = re.compile(
    r"^(?:(?P<iso>\d{4}-\d{2}-\d{2})|(?P<mon>[A-Z][a-z]{2,8})\.? (?P<day>\d{1,2}), (?P<year>\d{4})"
    r"|(?P<us>\d{1,2}/\d{1,2}/\d{4}))(?:,? (?P<time>\d{1,2}:\d{2}\s*[AP]M)(?: (?P<tz>[A-Z]{2,4}))?)?$"
)
_TZ = {
    "UTC": 0,
    "GMT": 0,
    "EDT": -4,
    "EST": -5,
    "CDT": -5,
    "CST": -6,
    "MDT": -6,
    "MST": -7,
    "PDT": -7,
    "PST": -8,
    "BST": 1,
    "CET": 1,
    "CEST": 2,
}

# Inline furniture inside a body.
_SENT_END = r"(?<=[.!?\"'”’])"
_CREDIT = (
    r"(?:[A-Z(][\w().&'-]*(?:[ /][A-Z(][\w().&'-]*){0,8}\s*/?\s*(?:via )?Getty Images"
    r"|AP Photo(?:/[A-Z][\w.]*(?: [A-Z][\w.]*){0,3})?|Reuters|AP|AFP|EPA|Getty Images|Shutterstock"
    r"|Bloomberg|Xinhua|Anadolu|[A-Z][\w.]+ [A-Z][\w.]+/(?:AP|AFP|Reuters|EPA))"
)
_GALLERY = re.compile(  # "5 <caption> <credit> 5 <caption> <credit>" (a numbered photo gallery)
    rf"{_SENT_END}\s+(\d{{1,2}}) (?:[A-Z\"'‘“].*?{_SENT_END}\s+{_CREDIT}(?: \1)??(?=\s))+?"
    rf"(?:\s+\1 [A-Z\"'‘“].*?{_SENT_END}\s+{_CREDIT})?(?=\s+[A-Z\"'‘“]|\s*$)"
)
_PIPE_CAPTION = re.compile(rf"(?:^|{_SENT_END}\s+)[^.!?|]*[.!?]\s*\|\s*{_CREDIT}(?=\s|$)")
_INLINE_CREDIT = re.compile(rf"{_SENT_END}\s+(?:{_CREDIT})(?=\s+[A-Z\"'‘“])")
_ADVERT = re.compile(rf"(?:^|{_SENT_END})\s*\bAdvertisement\b\s*(?=[A-Z\"'‘“]|$)")
_BYLINE_RUN = re.compile(
    r"\bBy (?P<names>(?:[A-Z][\w.'-]+,?\s+(?:and\s+)?){1,12}?)"
    r"(?P<date>\d{1,2}/\d{1,2}/\d{4})(?:\s+(?P<time>\d{1,2}:\d{2}\s*[AP]M)(?:\s+(?P<tz>[A-Z]{2,4}))?)?\s*"
)
_WRITES_FOR = re.compile(r"^(?P<names>[A-Z][^.]{1,120}?) writes? for (?:the )?(?P<outlet>[A-Z][^.]{1,80})\.$")
_WIRES = re.compile(r"\s*\bWith (?:[A-Z][\w.]* )?wires\.?\s*$")


@dataclass
class PageArticle:
    title: str
    text: str
    source: str | None = None
    authors: list[str] = field(default_factory=list)
    published: date | datetime | None = None
    relative_s: int | None = None  # "N units ago", before resolution
    relative_days: int | None = None  # "yesterday"


def looks_like_page(text: str) -> bool:
    lines = [ln.strip() for ln in text.splitlines()]
    if any(_RELATED.match(ln) for ln in lines):
        return True
    return sum(1 for i, _ in enumerate(lines) if _header_at(lines, i) is not None) >= 2


def _header_at(lines: list[str], i: int) -> tuple[str, str, int] | None:
    """(outlet, time line, index of the title line) if an entry header starts at line i."""
    outlet = lines[i]
    if not outlet or len(outlet) > 60 or outlet.endswith((".", "?", "!")) or _FURNITURE_LINE.match(outlet):
        return None
    j = i + 1
    if j >= len(lines) or not (_RELATIVE.match(lines[j]) or _ABS_DATE.match(lines[j])):
        return None
    when, k = lines[j], j + 1
    if k < len(lines) and lines[k].lstrip("-–— ").strip() == outlet and lines[k][:1] in "-–—":
        k += 1
    while k < len(lines) and not lines[k]:
        k += 1
    return (outlet, when, k) if k < len(lines) else None


def _abs_when(line: str) -> date | datetime | None:
    m = _ABS_DATE.match(line.strip())
    if not m:
        return None
    if m["iso"]:
        d = date.fromisoformat(m["iso"])
    elif m["us"]:
        mo, dy, yr = (int(x) for x in m["us"].split("/"))
        d = date(yr, mo, dy)
    else:
        name = m["mon"].lower()
        months = [i for i, full in enumerate(_MONTHS, 1) if full.startswith(name[:3])]
        if not months:
            return None
        d = date(int(m["year"]), months[0], int(m["day"]))
    if not m["time"]:
        return d
    t = datetime.strptime(m["time"].replace(" ", ""), "%I:%M%p").time()
    tz = timezone(timedelta(hours=_TZ[m["tz"]])) if m["tz"] in _TZ else None
    return datetime.combine(d, t, tzinfo=tz)


def _relative(line: str, art: PageArticle) -> None:
    m = _RELATIVE.match(line.strip())
    if not m:
        return
    if line.strip().lower() == "yesterday":
        art.relative_days = 1
    elif line.strip().lower() == "just now":
        art.relative_s = 0
    else:
        n = 1 if m[1].lower() in ("a", "an") else int(m[1])
        art.relative_s = n * _UNITS[m[2].lower()]


def _split_names(names: str) -> list[str]:
    parts = [p.strip(" ,") for p in re.split(r",|\band\b", names) if p.strip(" ,")]
    out: list[str] = []
    for p in parts:
        words = p.split()
        # Scraped bylines lose their commas ("Paul McLeary Jack Detsch"): pair up two-word names.
        if len(words) >= 4 and len(words) % 2 == 0:
            out += [" ".join(words[i : i + 2]) for i in range(0, len(words), 2)]
        else:
            out.append(p)
    return out


def clean_body(text: str, art: PageArticle) -> str:
    """Strip inline furniture; fill authors/date from a byline run if the body has one."""
    text = " ".join(text.split())
    m = _BYLINE_RUN.search(text)
    if m:
        art.authors = art.authors or _split_names(m["names"])
        when = _abs_when(" ".join(x for x in (m["date"], m["time"], m["tz"]) if x))
        if when is not None:
            art.published = when
        head = text[: m.start()]
        # What precedes a byline run is header matter (dek, photo caption); drop it if it holds a credit.
        is_header = _PIPE_CAPTION.search(head) or re.search(_CREDIT, head)
        text = text[m.end() :] if is_header else head + " " + text[m.end() :]
    for _ in range(3):  # galleries can nest a caption right after a credit
        text = _GALLERY.sub("", text)
    text = _PIPE_CAPTION.sub("", text)
    text = _INLINE_CREDIT.sub("", text)
    text = _ADVERT.sub(" ", text)
    text = _WIRES.sub("", text)
    return " ".join(text.split())


def _main_body(lines: list[str], art: PageArticle) -> str:
    paras: list[str] = []
    for ln in lines:
        if not ln or _FURNITURE_LINE.match(ln):
            continue
        m = _WRITES_FOR.match(ln)
        if m:
            art.authors = _split_names(m["names"])
            art.source = art.source or m["outlet"].strip()
            continue
        paras.append(clean_body(ln, art))
    return "\n".join(p for p in paras if p)


def split_page(text: str) -> list[PageArticle]:
    lines = [ln.strip() for ln in text.splitlines()]
    # The main article: the first line is its title, the body runs to the first furniture block.
    first = next((i for i, ln in enumerate(lines) if ln), None)
    if first is None:
        return []
    headers = [i for i in range(len(lines)) if _header_at(lines, i) is not None]
    main_end = next(
        (i for i in range(first + 1, len(lines)) if _SECTION_END.match(lines[i]) or i in headers),
        len(lines),
    )
    articles: list[PageArticle] = []
    main = PageArticle(title=lines[first], text="")
    main.text = _main_body(lines[first + 1 : main_end], main)
    if main.text:
        articles.append(main)

    entries = [i for i in headers if i >= main_end]
    for n, start in enumerate(entries):
        found = _header_at(lines, start)
        assert found is not None
        outlet, when, title_at = found
        stop = entries[n + 1] if n + 1 < len(entries) else len(lines)
        body_lines = [ln for ln in lines[title_at + 1 : stop] if ln and not _FURNITURE_LINE.match(ln)]
        art = PageArticle(title=lines[title_at], text="", source=outlet)
        absolute = _abs_when(when)
        if absolute is not None:
            art.published = absolute
        _relative(when, art)
        art.text = "\n".join(t for t in (clean_body(b, art) for b in body_lines) if t)
        if art.text:
            articles.append(art)
    _resolve_relative(articles)
    return articles


def _resolve_relative(articles: list[PageArticle]) -> None:
    # An entry with both an exact time and an "N ago" tells us when the page was captured.
    now = next(
        (
            a.published + timedelta(seconds=a.relative_s)
            for a in articles
            if isinstance(a.published, datetime) and a.relative_s is not None
        ),
        None,
    )
    for a in articles:
        if a.published is not None or now is None:
            continue
        if a.relative_s is not None:
            a.published = now - timedelta(seconds=a.relative_s)
        elif a.relative_days is not None:
            a.published = (now - timedelta(days=a.relative_days)).date()
