"""Readers: files and folders in, :class:`Article` or :class:`ArticleError` out, one at a time.

Never raises on bad input: each bad file, line or item becomes an ``ArticleError`` naming it
(``feed.jsonl:12``, ``list.json[3]``), and the valid items around it still come through.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from qa.errors import ArticleError
from qa.ingest.pages import looks_like_page, split_page
from qa.models import Article

Item = Article | ArticleError
SUFFIXES = (".json", ".jsonl", ".jsonl.gz", ".json.gz", ".txt", ".html", ".htm")

# Field names seen in feeds and exports, mapped to ours.
_ALIASES = {
    "headline": "title",
    "name": "title",
    "body": "text",
    "content": "text",
    "article": "text",
    "date": "published",
    "published_at": "published",
    "publishedAt": "published",
    "pubDate": "published",
    "datePublished": "published",
    "author": "authors",
    "byline": "authors",
    "outlet": "source",
    "site": "source",
    "publisher": "source",
    "sitename": "source",
    "link": "url",
}
_FIELD_WORDS = {
    "title": "title",
    "text": "text",
    "published": "date",
    "id": "id",
    "url": "url",
    "source": "source",
    "authors": "authors",
}


def _suffix(name: str) -> str:
    lower = name.lower()
    return next((s for s in sorted(SUFFIXES, key=len, reverse=True) if lower.endswith(s)), "")


def parse_article_obj(obj: Any, where: str) -> Item:
    if not isinstance(obj, dict):
        return ArticleError(f"expected an article object, got {type(obj).__name__}", where)
    data: dict[str, Any] = {
        _ALIASES.get(str(k), str(k)): v for k, v in obj.items() if k not in _ALIASES or _ALIASES[k] not in obj
    }
    if isinstance(data.get("source"), dict):  # e.g. {"source": {"name": "Reuters"}}
        data["source"] = data["source"].get("name")
    try:
        return Article(**{k: v for k, v in data.items() if k in Article.model_fields})
    except ValidationError as exc:
        return ArticleError(_explain(exc, data), where)


def _explain(exc: ValidationError, data: dict[str, Any]) -> str:
    problems = []
    for e in exc.errors():
        field = str(e["loc"][0]) if e["loc"] else "article"
        word = _FIELD_WORDS.get(field, field)
        value = data.get(field)
        if e["type"] == "missing" or (field == "id" and not value):
            problems.append(f"missing {word}" if field != "id" else "missing title or text")
        elif field in ("title", "text") and isinstance(value, str) and not value.strip():
            problems.append(f"empty {word}")
        elif field == "published":
            problems.append(f"unparseable date {value!r}")
        else:
            problems.append(f"{word}: {e['msg']}")
    # An id is derived from title and text; its absence is only news when they are fine.
    real = [p for p in problems if p != "missing title or text"]
    return "; ".join(dict.fromkeys(real or problems))


def _decode(data: bytes, where: str, fallback: bool) -> str | ArticleError:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if fallback:  # old scraped pages are often Windows-1252
            return data.decode("cp1252", errors="replace")
        return ArticleError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", where)


def read_bytes(data: bytes, name: str) -> Iterator[Item]:
    """Articles in ``data``; ``name`` (a file name) decides the format by its extension."""
    suffix = _suffix(name)
    label = Path(name).name
    if suffix in (".jsonl.gz", ".json.gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            yield ArticleError(f"not a readable gzip file ({exc})", label)
            return
        suffix = suffix[:-3]
    if suffix == ".jsonl":
        yield from _jsonl(data, label)
    elif suffix == ".json":
        yield from _json(data, label)
    elif suffix == ".txt":
        yield from _txt(data, label)
    elif suffix in (".html", ".htm"):
        yield from _html(data, label)
    else:
        yield ArticleError(f"unsupported file type (supported: {', '.join(SUFFIXES)})", label)


def _jsonl(data: bytes, label: str) -> Iterator[Item]:
    text = _decode(data, label, fallback=False)
    if isinstance(text, ArticleError):
        yield text
        return
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{label}:{n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield ArticleError(f"invalid JSON ({exc.msg} at column {exc.colno})", where)
            continue
        yield parse_article_obj(obj, where)


def _json(data: bytes, label: str) -> Iterator[Item]:
    text = _decode(data, label, fallback=False)
    if isinstance(text, ArticleError):
        yield text
        return
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        yield ArticleError(f"invalid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})", label)
        return
    if isinstance(obj, dict) and isinstance(obj.get("articles"), list):
        obj = obj["articles"]
    if isinstance(obj, list):
        for i, item in enumerate(obj):
            yield parse_article_obj(item, f"{label}[{i}]")
    else:
        yield parse_article_obj(obj, label)


def _txt(data: bytes, label: str) -> Iterator[Item]:
    text = _decode(data, label, fallback=True)
    if isinstance(text, ArticleError):
        yield text
        return
    if looks_like_page(text):
        found = split_page(text)
        if not found:
            yield ArticleError("no article found on the page", label)
        for i, a in enumerate(found):
            yield parse_article_obj(
                {
                    "title": a.title,
                    "text": a.text,
                    "source": a.source,
                    "authors": a.authors,
                    "published": a.published,
                },
                f"{label}[{i}]",
            )
        return
    lines = text.strip().splitlines()
    if not lines:
        yield ArticleError("empty file", label)
        return
    yield parse_article_obj({"title": lines[0], "text": "\n".join(lines[1:]).strip()}, label)


def _html(data: bytes, label: str) -> Iterator[Item]:
    import trafilatura

    text = _decode(data, label, fallback=True)
    if isinstance(text, ArticleError):
        yield text
        return
    try:
        extracted = trafilatura.bare_extraction(text, with_metadata=True, include_comments=False, as_dict=True)
    except Exception as exc:  # trafilatura raises a variety on broken markup
        yield ArticleError(f"could not parse HTML ({exc})", label)
        return
    doc: dict[str, Any] = extracted if isinstance(extracted, dict) else {}
    if not (doc.get("text") or "").strip():
        yield ArticleError("no article text found in the HTML", label)
        return
    authors = [a.strip() for a in (doc.get("author") or "").split(";") if a.strip()]
    yield parse_article_obj(
        {
            "title": doc.get("title"),
            "text": doc.get("text"),
            "url": doc.get("url"),
            "source": doc.get("sitename") or doc.get("hostname"),
            "published": doc.get("date"),
            "authors": authors,
        },
        label,
    )


def read_paths(paths: Iterable[str | Path]) -> Iterator[Item]:
    """Files and folders (recursively, in sorted order; hidden files skipped)."""
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p).parts
                if f.is_file() and _suffix(f.name) and not any(part.startswith(".") for part in rel):
                    yield from _read_file(f)
        elif p.exists():
            yield from _read_file(p)
        else:
            yield ArticleError("no such file or folder", str(p))


def _read_file(path: Path) -> Iterator[Item]:
    if not _suffix(path.name):
        yield ArticleError(f"unsupported file type (supported: {', '.join(SUFFIXES)})", str(path))
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield ArticleError(f"cannot read file ({exc.strerror})", str(path))
        return
    yield from read_bytes(data, path.name)
