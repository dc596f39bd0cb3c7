"""Split a scraped news page into its articles and keep the page furniture out of their text.

Pages of this kind (saved from news aggregators) hold a lead article (title on the first line,
then its body), page furniture (hashtags, comment and AI-feature blocks, "Related Articles") and
often related articles, each opened by a header: an outlet line, a time line ("13 minutes ago",
"yesterday", "July 1, 2025") and a "- Outlet" line, then the title line and the body. Either
outlet line may be missing, not both. Bodies carry inline furniture too: numbered photo-gallery
captions with their credits, "caption | credit" pairs, lone credit tokens between sentences,
"Advertisement", byline/dateline runs ("By A B and C D 07/01/2025 04:30 PM EDT"), trailers such
as "With Post wires" and "X and Y write for the Associated Press." Bylines and datelines become
metadata; the rest is dropped. A caption is only dropped when its extent is marked (a gallery
number, a pipe before the credit); an unmarked credit is dropped alone, so real sentences stay.

Dates: absolute ones as the page gives them (with their time zone when stated). A relative one
is resolved only against an absolute time the page itself states: an article giving both fixes
the page's "now". Without such an anchor it stays unknown — never the time of ingest.
Minutes/hours resolve to a datetime only from a timed anchor; days ("yesterday", "3 days ago")
resolve to a date; months and years are too vague and stay unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateparser
from pydantic import ValidationError

from qa.errors import ArticleError
from qa.models import Article

When = date | datetime

# -- dates and times ---------------------------------------------------------------------------

_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_WEEKDAYS = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?"
_MONTH = rf"(?:{_MONTHS})\.?"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_FIXED_TZ = {"UTC": 0, "GMT": 0, "Z": 0, "EDT": -4, "EST": -5, "CDT": -5, "CST": -6, "MDT": -6, "MST": -7}
_FIXED_TZ |= {"PDT": -7, "PST": -8, "BST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3, "MSK": 3, "JST": 9}
_FIXED_TZ |= {"KST": 9, "AEST": 10, "AEDT": 11}
# Generic US zone names depend on the date (ET is -4 in July, -5 in January).
_ZONE_TZ = {"ET": "America/New_York", "CT": "America/Chicago", "MT": "America/Denver", "PT": "America/Los_Angeles"}
_TZ = r"(?:[+-]\d{2}:?\d{2}|" + "|".join(sorted([*_FIXED_TZ, *_ZONE_TZ], key=len, reverse=True)) + r")\b"
_DATETIME = (
    rf"(?:{_WEEKDAYS}\.?,?\s+)?(?P<date>\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}/\d{{4}}"
    rf"|{_MONTH}\s+{_DAY},?\s+\d{{4}}|{_DAY}\s+{_MONTH},?\s+\d{{4}})"
    rf"(?:(?:,|\s+at|\s*[T•|-])?\s*(?P<time>\d{{1,2}}[:.]\d{{2}}(?::\d{{2}}(?:\.\d+)?)?(?:\s*[ap]\.?m\.?)?)"
    rf"(?:\s*(?P<tz>(?-i:{_TZ})))?)?"
)
_STAMP = r"(?:(?:updated|published|posted)(?:\s+on)?:?\s+)?"
_ABSOLUTE_LINE = re.compile(rf"(?i)^{_STAMP}{_DATETIME}$")
_RELATIVE_LINE = re.compile(
    rf"(?i)^{_STAMP}(?:(?P<n>\d{{1,4}}|an?|one)\s*(?P<unit>s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?"
    r"|w|wks?|weeks?|mo|months?|y|yrs?|years?)\s+ago|(?P<word>yesterday|just now|moments ago))$"
)
_SECONDS = {"s": 1, "m": 60, "h": 3600}  # unit initial → seconds (precise units)


@dataclass(frozen=True)
class _Relative:
    seconds: int | None = None  # minutes/hours: precise
    days: int | None = None  # days/weeks/yesterday: calendar days


def _tz(name: str | None, day: date) -> tzinfo | None:
    if not name:
        return None
    if name[0] in "+-":
        sign = -1 if name[0] == "-" else 1
        digits = name[1:].replace(":", "")
        return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    if name in _FIXED_TZ:
        return timezone(timedelta(hours=_FIXED_TZ[name])) if _FIXED_TZ[name] else UTC
    try:
        return ZoneInfo(_ZONE_TZ[name])
    except (KeyError, ZoneInfoNotFoundError):
        return None


def _when(m: re.Match[str]) -> When | None:
    """The date (or datetime, when a time is given) a _DATETIME match denotes; None if impossible."""
    try:
        day = dateparser.parse(m["date"], default=datetime(2000, 1, 1)).date()
        if not m["time"]:
            return day
        clock = re.sub(r"(?i)([ap])\.?m\.?", r"\1M", re.sub(r"^(\d+)\.", r"\1:", m["time"]))
        t = dateparser.parse(clock, default=datetime(2000, 1, 1)).time()
        return datetime.combine(day, t, tzinfo=_tz(m["tz"], day))
    except (ValueError, OverflowError):
        return None


def parse_time_line(line: str) -> When | _Relative | None:
    """What a whole time line says: an absolute date/datetime, a relative offset, or None."""
    if m := _ABSOLUTE_LINE.match(line):
        return _when(m)
    if not (m := _RELATIVE_LINE.match(line)):
        return None
    if m["word"]:
        return _Relative(days=1) if m["word"].lower() == "yesterday" else _Relative(seconds=0)
    n = 1 if m["n"].lower() in ("a", "an", "one") else int(m["n"])
    unit = m["unit"].lower()
    if unit.startswith("mo") or unit.startswith("y"):
        return _Relative()  # too vague to date anything
    if unit[0] in "dw":
        return _Relative(days=n * (7 if unit[0] == "w" else 1))
    return _Relative(seconds=n * _SECONDS[unit[0]])


def _is_time_line(line: str) -> bool:
    return bool(_ABSOLUTE_LINE.match(line) or _RELATIVE_LINE.match(line))


# -- furniture ---------------------------------------------------------------------------------


def _whole(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?i)^(?:" + "|".join(alternatives) + r")$")


# Lines that end an article's text: everything after them up to the next header is furniture.
_END_LINE = _whole(
    r"hashtags",
    r"try our ai features",
    r"explore what .{1,40} can do for you:?",
    r"(?:\d+ )?comments?(?: \(\d+\))?",
    r"no comments yet\W*",
    r"be the first to comment\W*",
    r"(?:related|more)(?: articles| stories| news| coverage| content)?:?",
    r"you (?:may|might) also like:?",
    r"more (?:from|on) [^.!?]{1,40}",
    r"most (?:read|popular|viewed)",
    r"trending(?: now| stories)?",
    r"recommended(?: for you| stories)?",
    r"read next",
    r"(?:©|copyright ).*",
    r"all rights reserved\.?",
)
_RELATED_LINE = _whole(
    r"(?:related|more)(?: articles| stories| news| coverage| content)?:?", r"you (?:may|might) also like:?"
)
# Lines dropped wherever they stand.
_DROP_LINE = _whole(
    r"advertisement(?:\s*[-–—]\s*scroll to continue)?",
    r"story continues below advertisement",
    r"continue reading(?: the main story| below)?",
    r"sponsored(?: content)?",
    r"share(?: this(?: article| story)?)?(?: on \w+)?",
    r"(?:copy|share) link",
    r"print",
    r"e-?mail",
    r"(?:read|show|load|see) (?:more|all)(?::.*)?",
    r"sign up (?:for|to) .{1,60}",
    r"subscribe(?: now| today| for .{1,40})?",
    r"follow us(?: on .{1,40})?",
    r"listen to (?:this )?article.{0,20}",
    r"\d+ min(?:ute)?s? read",
    r"#\S+(?:\s+#\S+)*",
    r"(?:photo|image|video|credit|pictured)s?:.*",
    r"\((?:photo|image) by .*\)",
    r"loading\W*",
)

# Photo credits: "Korean Central Television (KCTV)/AFPTV/AFP via Getty Images", "Daniel Slim/AFP via
# Getty Images", "AP Photo/Evan Vucci", "REUTERS/Gleb Garanich", or an agency name alone.
_AGENCY = (
    r"(?:Getty Images|Getty|AP|AFP|Reuters|REUTERS|EPA-EFE|EPA|Shutterstock|Bloomberg|Xinhua|Anadolu|NurPhoto"
    r"|ZUMA Press|ZUMA|Alamy|Sipa|SIPA|UPI|AAP|dpa|Pool|POOL|TASS|Sputnik|Yonhap|Associated Press)"
)
_TOK = r"(?:[A-Z][\w.&'’-]*|\([A-Z][\w.&-]*\))"
_CREDIT = (
    rf"(?:(?:Photo|Image|Credit|Picture)s?:\s*)?(?:{_TOK}[ /]){{0,6}}?(?:via\s+)?{_AGENCY}"
    rf"(?:\s+via\s+{_AGENCY})?(?:(?:\s+Photo)?/{_TOK}(?:\s{_TOK})?)?(?![\w/-])"
)
_SENT_END = r"(?:(?<=[.!?…])|(?<=[.!?…][\"'”’)]))"
_START = r"[A-Z\"'‘“]"  # how a sentence starts
_CAPTION = rf"{_START}[^\n]{{0,400}}?[.!?…][\"'”’]?"
# "5 <caption> <credit> 5": a numbered gallery caption closed by its number.
_GALLERY = re.compile(rf"(?:^|{_SENT_END}\s+)(\d{{1,2}})\s+{_CAPTION}\s+{_CREDIT}\s+\1(?=\s|$)")
# "5 <caption> <credit>" left without its closing number.
_GALLERY_OPEN = re.compile(rf"(?:^|{_SENT_END}\s+)\d{{1,2}}\s+{_CAPTION}\s+{_CREDIT}(?=\s+{_START}|\s*$)")
# "<caption sentence> | <credit>": the pipe marks the sentence before it as the caption.
_PIPE_CAPTION = re.compile(
    rf"(?:^|{_SENT_END}\s+){_START}(?:[^|.!?\n]|[.!?…](?![\"'”’]?\s)){{0,400}}[.!?…]?[\"'”’]?\s*\|\s*{_CREDIT}(?=\s|$)"
)
_PIPE_CREDIT = re.compile(rf"\s*\|\s*{_CREDIT}(?=\s|$)")
# A credit alone between two sentences; not when it is the start of a name ("Reuters Television").
_LONE_CREDIT = re.compile(
    rf"{_SENT_END}\s+{_CREDIT}(?=\s+{_START}|\s*$)"
    r"(?!\s+(?:News|Newswire|Photos?|Television|TV|Breakingviews|Institute|Foundation|Radio|Images|Wire|Poll"
    r"|Intelligence|Economics|Law|Terminal|Philanthropies|Opinion|Businessweek)\b)"
)
_CREDIT_LINE = re.compile(rf"^{_CREDIT}$")
_ADVERT = re.compile(
    rf"(?:^|{_SENT_END}\s+)(?:ADVERTISEMENT|Advertisement|Story continues below advertisement)(?=\s+{_START}|\s*$)"
)
_TRAILER = re.compile(
    rf"(?:^|{_SENT_END}\s+|\s+[-–—]\s*)(?:With (?:[A-Z][\w.]*\s+)?wires?(?: services| reports)?"
    r"|With (?:files|reporting) from [^.\n]{1,60}|Additional reporting by [^.\n]{1,80})\.?\s*$"
)

# -- bylines -----------------------------------------------------------------------------------

_NOT_NAMES = r"he|she|they|it|we|you|who|this|that|these|those|there|updated|published|posted"
_NAME_TOK = rf"(?!(?i:{_MONTHS}|{_WEEKDAYS}|{_NOT_NAMES})\b)[A-Z][\w.'’-]*"
_NAMES = rf"{_NAME_TOK}(?:,?\s+(?:(?:and|&)\s+)?{_NAME_TOK}){{0,11}}"
# "By Paul McLeary Jack Detsch and Joe Gould 07/01/2025 04:30 PM EDT": the dateline ends the names.
_BYLINE_RUN = re.compile(rf"(?:^|(?<=\s))By\s+(?P<names>{_NAMES})\s+(?i:{_STAMP}{_DATETIME})")
_BYLINE_LINE = re.compile(rf"^By\s+(?P<names>{_NAMES})$")
_WRITES_FOR = re.compile(
    rf"(?:^|{_SENT_END}\s+)(?P<names>{_NAMES})\s+writes?\s+for\s+(?:the\s+)?(?P<outlet>[A-Z][\w.&'’-]*"
    r"(?:\s+[A-Z][\w.&'’-]*){0,5})\.?\s*$"
)
_BYLINE_SEARCH_CHARS = 600  # a byline run sits at the top of a body, not in the middle


def split_names(names: str) -> list[str]:
    parts = [p.strip() for p in re.split(r",|\s+(?:and|&)\s+", names) if p.strip()]
    out: list[str] = []
    for p in parts:
        words = p.split()
        # Scraped bylines lose their commas ("Paul McLeary Jack Detsch"): pair up two-word names.
        if len(words) >= 4 and len(words) % 2 == 0 and all(w[0].isupper() for w in words):
            out += [" ".join(words[i : i + 2]) for i in range(0, len(words), 2)]
        else:
            out.append(p)
    return out


# -- page structure ----------------------------------------------------------------------------

_DASH_LINE = re.compile(r"^[-–—•·]\s*(\S.{0,59})$")


def _is_outlet(line: str) -> bool:
    return (
        0 < len(line) <= 60
        and len(line.split()) <= 6
        and line[0].isalnum()
        and not line.endswith((".", "!", "?", ":", ",", ";"))
        and not (_END_LINE.match(line) or _DROP_LINE.match(line) or _is_time_line(line) or _TRAILER.match(line))
        and not _BYLINE_LINE.match(line)
    )


@dataclass(frozen=True)
class _Header:
    start: int
    title_at: int
    outlet: str
    when: str


def _header_at(lines: list[str], i: int) -> _Header | None:
    """An entry header starting at line i: [Outlet] / time line / [- Outlet], then the title line."""
    n = len(lines)
    outlet: str | None = None
    j = i
    if _is_outlet(lines[i]) and i + 1 < n and _is_time_line(lines[i + 1]):
        outlet, j = lines[i], i + 1
    elif not _is_time_line(lines[i]):
        return None
    k = j + 1
    if k < n and (m := _DASH_LINE.match(lines[k])):
        outlet = outlet or m[1].strip()
        k += 1
    elif outlet is not None and (len(outlet.split()) > 4 or not any(lines[:i])):
        # Without the "- Outlet" line, a short title over a dateline looks the same: the page's
        # first line is always a title, and outlet names are short.
        return None
    if outlet is None:
        return None
    while k < n and not lines[k]:
        k += 1
    if k >= n or _END_LINE.match(lines[k]) or _DROP_LINE.match(lines[k]) or _is_time_line(lines[k]):
        return None
    return _Header(i, k, outlet, lines[j])


def _headers(lines: list[str]) -> list[_Header]:
    found: list[_Header] = []
    i = 0
    while i < len(lines):
        h = _header_at(lines, i) if lines[i] else None
        if h is None:
            i += 1
        else:
            found.append(h)
            i = h.title_at + 1
    return found


def looks_like_page(text: str) -> bool:
    """A scraped page: an entry header, a "Related ..." marker, or two distinct furniture blocks."""
    lines = [ln.strip() for ln in text.splitlines()]
    if any(_RELATED_LINE.match(ln) for ln in lines) or _headers(lines):
        return True
    return len({ln.lower() for ln in lines if _END_LINE.match(ln)}) >= 2


@dataclass
class _Draft:
    title: str
    lines: list[str]
    source: str | None = None
    authors: list[str] = field(default_factory=list)
    published: When | None = None
    relative: _Relative | None = None

    def note_time(self, value: When | _Relative | None) -> None:
        if isinstance(value, _Relative):
            self.relative = self.relative or value
        elif value is not None and self.published is None:
            self.published = value


def _clean_paragraph(text: str) -> str:
    text = " ".join(text.split())
    for pattern in (_GALLERY, _GALLERY_OPEN, _PIPE_CAPTION, _PIPE_CREDIT, _LONE_CREDIT, _ADVERT, _TRAILER):
        text = pattern.sub(" ", text)
    return " ".join(text.split())


def _body(d: _Draft) -> str:
    """The draft's clean text; bylines, datelines and "write for" trailers go to its metadata."""
    end = next((i for i, ln in enumerate(d.lines) if _END_LINE.match(ln)), len(d.lines))
    lines = [ln for ln in d.lines[:end] if ln and not (_DROP_LINE.match(ln) or _CREDIT_LINE.match(ln))]
    paras: list[str] = []
    offset = 0  # characters of body before the current line
    for n, ln in enumerate(lines):
        if n < 3 and (when := parse_time_line(ln)) is not None:  # a dateline under the title
            d.note_time(when)
            continue
        if m := _BYLINE_LINE.match(ln):
            d.authors = d.authors or split_names(m["names"])
            continue
        if offset < _BYLINE_SEARCH_CHARS and (m := _BYLINE_RUN.search(ln)):
            d.authors = d.authors or split_names(m["names"])
            d.note_time(_when(m))
            # What precedes the run (a dek, a caption) is its own paragraph.
            paras += [_clean_paragraph(ln[: m.start()]), _clean_paragraph(ln[m.end() :])]
        else:
            paras.append(_clean_paragraph(ln))
        offset += len(ln)
    paras = [p for p in paras if p]
    if paras and (m := _WRITES_FOR.search(paras[-1])):
        d.authors = d.authors or split_names(m["names"])
        d.source = d.source or m["outlet"].rstrip(".")
        paras[-1] = paras[-1][: m.start()].strip()
    return "\n\n".join(p for p in paras if p)


def _headerless_related(lines: list[str]) -> list[_Draft]:
    """Entries of a related list without headers: blank-line separated "title / body" blocks."""
    drafts: list[_Draft] = []
    block: list[str] = []
    for ln in [*lines, ""]:
        if ln and not (_DROP_LINE.match(ln) or _END_LINE.match(ln)):
            block.append(ln)
            continue
        # A list of bare titles is not articles: the body needs a real sentence.
        if len(block) >= 2 and any(len(b.split()) >= 8 and b[-1] in ".!?\"'”’" for b in block[1:]):
            drafts.append(_Draft(block[0], block[1:]))
        block = []
    return drafts


def _resolve_relative(drafts: list[_Draft]) -> None:
    # The page's "now", fixed by the first article that states both an absolute and a relative time.
    now: datetime | None = None
    today: date | None = None
    for d in drafts:
        rel, at = d.relative, d.published
        if rel is None or at is None:
            continue
        try:
            if rel.seconds is not None and isinstance(at, datetime):
                now = at + timedelta(seconds=rel.seconds)
                today = now.date()
            elif rel.days is not None:
                today = (at.date() if isinstance(at, datetime) else at) + timedelta(days=rel.days)
            else:
                continue  # "2 hours ago" on a date-only anchor: the day of "now" is ambiguous
        except OverflowError:
            continue
        break
    for d in drafts:
        if d.published is not None or d.relative is None:
            continue
        try:
            if d.relative.seconds is not None and now is not None:
                d.published = now - timedelta(seconds=d.relative.seconds)
            elif d.relative.days is not None and today is not None:
                d.published = today - timedelta(days=d.relative.days)
        except OverflowError:
            pass


def split_page(text: str, name: str = "") -> list[Article | ArticleError]:
    """The page's articles in page order; an entry left without title or text is an ArticleError
    whose ``where`` is ``name[i]``."""
    lines = [ln.strip() for ln in text.splitlines()]
    headers = _headers(lines)
    first = headers[0].start if headers else len(lines)
    drafts: list[_Draft] = []

    lead = lines[:first]
    at = next((i for i, ln in enumerate(lead) if ln and not (_DROP_LINE.match(ln) or _END_LINE.match(ln))), None)
    if at is not None:
        draft = _Draft(lead[at], lead[at + 1 :])
        if not any(draft.lines) and headers:
            # A lone title right above a header: the header is the lead's own (outlet, time).
            h = headers.pop(0)
            draft.source, draft.lines = h.outlet, lines[h.title_at : headers[0].start if headers else len(lines)]
            draft.note_time(parse_time_line(h.when))
        drafts.append(draft)
        if not headers:
            related = next((i for i, ln in enumerate(lead) if _RELATED_LINE.match(ln)), None)
            drafts += _headerless_related(lead[related + 1 :]) if related is not None else []
    for n, h in enumerate(headers):
        stop = headers[n + 1].start if n + 1 < len(headers) else len(lines)
        draft = _Draft(lines[h.title_at], lines[h.title_at + 1 : stop], source=h.outlet)
        draft.note_time(parse_time_line(h.when))
        drafts.append(draft)

    texts = [_body(d) for d in drafts]  # fills authors/dates from bylines first
    _resolve_relative(drafts)
    out: list[Article | ArticleError] = []
    for i, (d, body) in enumerate(zip(drafts, texts, strict=True)):
        where = f"{name or 'page'}[{i}]"
        if not body:
            out.append(ArticleError(f"no article text under {d.title[:60]!r} once page furniture is removed", where))
            continue
        try:
            fields = {"title": d.title, "text": body, "source": d.source, "authors": d.authors}
            out.append(Article.model_validate({**fields, "published": d.published}))
        except ValidationError as exc:  # cannot happen for non-empty title and text; kept honest anyway
            out.append(ArticleError(f"invalid article ({exc.error_count()} problems)", where))
    return out
