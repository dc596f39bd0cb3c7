"""Readers: files, folders or bytes in; :class:`Article` or :class:`ArticleError` out, one at a time.

Formats, by extension: ``.json`` (one object, a list, or ``{"articles": [...]}``), ``.jsonl`` and
``.jsonl.gz`` (one object a line, read as a stream), ``.txt`` (title line, then the text; a scraped
page holding several articles is split by :mod:`qa.ingest.pages`), ``.html``/``.htm`` (main text and
metadata by trafilatura).

Never raises for bad input: each bad file, line or item becomes an ``ArticleError`` whose ``where``
names it (``feed.jsonl:12``, ``list.json[3]``, ``page.txt``) and the valid items around it still
come through.

Decoding: UTF-8 (a BOM is fine). JSON must be UTF-8, as its spec says (a UTF-16 file is told so).
``.txt`` that is not UTF-8 is read as UTF-16 where it is that (Notepad's "Unicode", with or without
a byte-order mark), else as Windows-1252, the usual encoding of pages saved by older tools; HTML is decoded by
trafilatura, which honours the page's declared charset.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from qa.errors import ArticleError
from qa.ingest.limits import DEFAULT_LIMITS, Limits
from qa.ingest.pages import looks_like_page, split_page
from qa.models import Article

Item = Article | ArticleError

SUFFIXES = (".jsonl.gz", ".jsonl", ".json", ".txt", ".html", ".htm")

# Feed field names → ours. A canonical key present in the object wins over its alias.
_ALIASES = {
    "headline": "title",
    "body": "text",
    "content": "text",
    "date": "published",
    "published_at": "published",
    "publishedAt": "published",
    "author": "authors",
    "outlet": "source",
    "site": "source",
    "publisher": "source",
    "link": "url",
}
_FIELDS = set(Article.model_fields)
_DESCRIBE = {"id": "an id", "title": "a string", "text": "a string", "url": "a string", "source": "a string"}


def suffix_of(name: str) -> str | None:
    lower = name.lower()
    return next((s for s in SUFFIXES if lower.endswith(s)), None)


# -- one object → one article ------------------------------------------------------------------


def parse_article_obj(obj: Any, where: str, *, limits: Limits = DEFAULT_LIMITS) -> Item:
    """One decoded JSON object (or any dict) as an Article, or an ArticleError saying what is wrong."""
    if not isinstance(obj, dict):
        return ArticleError(f"expected an article object, got {_type_name(obj)}", where)
    data: dict[str, Any] = {}
    for key, value in obj.items():
        name = _ALIASES.get(key, key)
        if name in _FIELDS and (data.get(name) is None or (key == name and value is not None)):
            data[name] = value
    if isinstance(data.get("source"), dict):  # NewsAPI style: {"source": {"id": ..., "name": "Reuters"}}
        data["source"] = data["source"].get("name")
    text = data.get("text")
    if isinstance(text, str) and (too_long := limits.text_problem(text)):
        return ArticleError(too_long, where)
    try:
        return Article.model_validate(data)
    except ValidationError as exc:
        return ArticleError(_explain(exc, data), where)


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _explain(exc: ValidationError, data: dict[str, Any]) -> str:
    """Pydantic's errors as short phrases: "missing title", "empty text", "unparseable date '…'"."""
    problems: list[str] = []
    for e in exc.errors():
        field = str(e["loc"][0]) if e["loc"] else ""
        value = data.get(field)
        if field == "id" and not value:
            continue  # derived from url or title + text: their own errors say what is missing
        if value is None and field in ("title", "text"):
            problems.append(f"missing {field}")
        elif field in ("title", "text") and isinstance(value, str) and not value.strip():
            problems.append(f"empty {field}")
        elif field == "published" and e["type"] == "value_error":
            problems.append(str(e.get("ctx", {}).get("error", f"unparseable date {value!r}")))
        elif field == "id" and isinstance(value, str):
            problems.append(f"id {value[:80]!r} must be 1-200 letters, digits or . _ : -")
        elif field == "authors":
            problems.append("authors must be a name or a list of names")
        elif e["type"].endswith("_type"):
            problems.append(f"{field} must be {_DESCRIBE.get(field, 'a date')}, got {_type_name(value)}")
        else:
            problems.append(f"{field or 'article'}: {e['msg']}")
    return "; ".join(dict.fromkeys(problems)) or "missing title or text"


# -- bytes → items -----------------------------------------------------------------------------


def read_bytes(data: bytes, name: str, *, limits: Limits = DEFAULT_LIMITS) -> Iterator[Item]:
    """The articles in ``data``; the extension of ``name`` decides the format, ``name`` labels errors."""
    suffix = suffix_of(name)
    if suffix in (".jsonl", ".jsonl.gz"):
        yield from _jsonl(io.BytesIO(data), name, suffix == ".jsonl.gz", limits)
    elif suffix == ".json":
        yield from _json(data, name, limits)
    elif suffix == ".txt":
        yield from _txt(data, name, limits)
    elif suffix in (".html", ".htm"):
        yield from _html(data, name, limits)
    else:
        yield ArticleError(f"unsupported file type (supported: {', '.join(SUFFIXES)})", name)


def _utf8(data: bytes, where: str) -> str | ArticleError:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if (wide := utf16_encoding(data)) is not None:
            return ArticleError(f"{wide.upper()} text, but JSON must be UTF-8: save it as UTF-8", where)
        return ArticleError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", where)


_NUL_SHARE = 0.3  # of the bytes at even (or odd) offsets: ASCII text in UTF-16 has half its bytes NUL


def utf16_encoding(data: bytes) -> str | None:
    """ "utf-16" (with a byte-order mark), "utf-16-le" or "utf-16-be" for text saved as UTF-16, as
    Windows Notepad's "Unicode" does; None otherwise."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) >= _NUL_SHARE * len(odd) and even.count(0) < _NUL_SHARE * len(even):
        return "utf-16-le"
    if even.count(0) >= _NUL_SHARE * len(even) and odd.count(0) < _NUL_SHARE * len(odd):
        return "utf-16-be"
    return None


def _jsonl(stream: IO[bytes], label: str, gzipped: bool, limits: Limits) -> Iterator[Item]:
    lines: Iterator[bytes] = iter(gzip.GzipFile(fileobj=stream) if gzipped else stream)
    n = 0
    while True:
        try:
            raw = next(lines)
        except StopIteration:
            return
        except (OSError, EOFError, zlib.error) as exc:  # corrupt or truncated gzip: stop, keep what was read
            after = f" after line {n}" if n else ""
            yield ArticleError(f"unreadable {'gzip ' if gzipped else ''}data{after} ({exc})", label)
            return
        n += 1
        where = f"{label}:{n}"
        text = _utf8(raw, where)
        if isinstance(text, ArticleError):
            yield text
            continue
        if not text.strip():
            continue
        obj = _loads(text, where, one_line=True)
        yield obj if isinstance(obj, ArticleError) else parse_article_obj(obj, where, limits=limits)


def _loads(text: str, where: str, one_line: bool = False) -> object:
    """The JSON value of ``text``, or the :class:`ArticleError` that says where it is broken."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        at = f"column {exc.colno}" if one_line else f"line {exc.lineno}, column {exc.colno}"
        return ArticleError(f"invalid JSON: {exc.msg} ({at})", where)
    except RecursionError:
        return ArticleError("invalid JSON (nested too deeply)", where)


def _json(data: bytes, label: str, limits: Limits) -> Iterator[Item]:
    text = _utf8(data, label)
    if isinstance(text, ArticleError):
        yield text
        return
    obj = _loads(text, label)
    if isinstance(obj, ArticleError):
        yield obj
        return
    if isinstance(obj, dict) and isinstance(obj.get("articles"), list):
        obj = obj["articles"]
    if isinstance(obj, list):
        for i, item in enumerate(obj):
            yield parse_article_obj(item, f"{label}[{i}]", limits=limits)
    else:
        yield parse_article_obj(obj, label, limits=limits)


def _txt(data: bytes, label: str, limits: Limits) -> Iterator[Item]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        wide = utf16_encoding(data)
        text = data.decode(wide or "cp1252", errors="replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        yield ArticleError("empty file", label)
        return
    if not looks_like_page(text):
        title, _, body = text.strip().partition("\n")
        yield parse_article_obj({"title": title, "text": body.strip()}, label, limits=limits)
        return
    for i, item in enumerate(split_page(text, label)):
        if isinstance(item, Article) and (too_long := limits.text_problem(item.text)):
            item = ArticleError(too_long, f"{label}[{i}]")
        yield item


def _html(data: bytes, label: str, limits: Limits) -> Iterator[Item]:
    import trafilatura  # slow to import; only HTML needs it

    try:
        doc = trafilatura.bare_extraction(data, with_metadata=True, include_comments=False)
    except Exception as exc:  # lxml and trafilatura raise a variety of errors on broken markup
        yield ArticleError(f"could not parse HTML ({type(exc).__name__}: {exc})", label)
        return
    if doc is None or isinstance(doc, dict) or not (doc.text or "").strip():
        yield ArticleError("no article text found in the HTML", label)
        return
    title, text = (doc.title or "").strip(), (doc.text or "").strip()
    first, _, rest = text.partition("\n")
    if title and first.strip().casefold() == title.casefold():  # trafilatura keeps the <h1> in the text
        text = rest.strip()
    authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()]
    fields = {"title": title, "text": text, "url": doc.url, "source": doc.sitename, "published": doc.date}
    yield parse_article_obj({**fields, "authors": authors}, label, limits=limits)


# -- paths → items -----------------------------------------------------------------------------


def read_paths(paths: Iterable[str | Path], *, limits: Limits = DEFAULT_LIMITS) -> Iterator[Item]:
    """Articles from files and folders, streamed. Folders are walked recursively in sorted order,
    skipping hidden entries and files of unknown type; a file named explicitly must be readable."""
    for p in map(Path, paths):
        if p.is_dir():
            yield from _walk(p, limits, set())
        elif p.is_file():
            yield from _read_file(p, limits)
        elif p.exists():
            yield ArticleError("not a regular file or folder", str(p))
        else:
            yield ArticleError("no such file or folder", str(p))


def _walk(folder: Path, limits: Limits, seen: set[str]) -> Iterator[Item]:
    real = os.path.realpath(folder)
    if real in seen:  # a symlink loop
        return
    seen.add(real)
    try:
        entries = sorted(folder.iterdir(), key=lambda e: e.name)
    except OSError as exc:
        yield ArticleError(f"cannot list folder ({exc.strerror or exc})", str(folder))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _walk(entry, limits, seen)
        elif entry.is_file() and suffix_of(entry.name):
            yield from _read_file(entry, limits)


def _read_file(path: Path, limits: Limits) -> Iterator[Item]:
    label = str(path)
    suffix = suffix_of(path.name)
    if suffix is None:
        yield ArticleError(f"unsupported file type (supported: {', '.join(SUFFIXES)})", label)
        return
    try:
        if suffix in (".jsonl", ".jsonl.gz"):  # streamed: a large feed is never held in memory
            with path.open("rb") as f:
                yield from _jsonl(f, label, suffix == ".jsonl.gz", limits)
            return
        data = path.read_bytes()
    except OSError as exc:
        yield ArticleError(f"cannot read file ({exc.strerror or exc})", label)
        return
    yield from read_bytes(data, label, limits=limits)
