from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.errors import ArticleError
from qa.ingest.limits import Limits
from qa.ingest.readers import SUFFIXES, parse_article_obj, read_bytes, read_paths
from qa.models import Article, url_id

A = {"title": "Alpha", "text": "Alpha text.", "url": "https://x.test/a", "source": "X", "published": "2025-07-01"}
B = {"title": "Beta", "text": "Beta text.", "id": "b-1", "authors": ["Ann"]}
Item = Article | ArticleError


def write(tmp: Path, name: str, content: str | bytes) -> Path:
    f = tmp / name
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_bytes(content if isinstance(content, bytes) else content.encode())
    return f


def read(tmp: Path, name: str, content: str | bytes) -> list[Item]:
    return list(read_paths([write(tmp, name, content)]))


def titles(items: list[Item]) -> list[str]:
    return [x.title for x in items if isinstance(x, Article)]


def errors(items: list[Item], tmp: Path | None = None) -> list[str]:
    """Error messages, with the temporary folder left out of their ``where``."""
    prefix = f"{tmp}/" if tmp else ""
    return [str(x).removeprefix(prefix) for x in items if isinstance(x, ArticleError)]


# -- JSON --------------------------------------------------------------------------------------


def test_json_object_list_and_articles_wrapper(tmp_path: Path) -> None:
    assert titles(read(tmp_path, "one.json", json.dumps(A))) == ["Alpha"]
    assert titles(read(tmp_path, "list.json", json.dumps([A, B]))) == ["Alpha", "Beta"]
    wrapped = read(tmp_path, "w.json", json.dumps({"articles": [A, B]}))
    a, b = wrapped
    assert isinstance(a, Article) and isinstance(b, Article)
    assert a.id == url_id("https://x.test/a") and a.published == date(2025, 7, 1) and a.source == "X"
    assert b.id == "b-1" and b.authors == ["Ann"]


def test_jsonl_and_jsonl_gz_stream_with_line_numbers(tmp_path: Path) -> None:
    content = "\n".join([json.dumps(A), "{not json", "", "  ", json.dumps(B), json.dumps({"text": "x"})]) + "\n"
    expected = [
        "feed.jsonl:2: invalid JSON: Expecting property name enclosed in double quotes (column 2)",
        "feed.jsonl:6: missing title",
    ]
    got = read(tmp_path, "feed.jsonl", content)
    assert titles(got) == ["Alpha", "Beta"] and errors(got, tmp_path) == expected
    gz = read(tmp_path, "feed.jsonl.gz", gzip.compress(content.encode()))
    assert titles(gz) == ["Alpha", "Beta"]
    assert errors(gz, tmp_path) == [e.replace("feed.jsonl", "feed.jsonl.gz") for e in expected]


def test_read_paths_is_lazy(tmp_path: Path) -> None:
    f = write(tmp_path, "feed.jsonl.gz", gzip.compress((json.dumps(A) + "\n").encode() * 3000))
    items = read_paths([f])
    assert isinstance(items, Iterator)
    first = next(items)
    assert isinstance(first, Article) and first.title == "Alpha"


def test_truncated_gzip_keeps_the_lines_before_the_damage(tmp_path: Path) -> None:
    data = gzip.compress("".join(json.dumps({**B, "id": f"b{i}"}) + "\n" for i in range(200)).encode())
    got = read(tmp_path, "cut.jsonl.gz", data[: len(data) // 2])
    assert 0 < len(titles(got)) < 200
    (err,) = errors(got, tmp_path)
    assert err.startswith("cut.jsonl.gz: unreadable gzip data after line ")
    assert errors(read(tmp_path, "fake.jsonl.gz", b"plain text"), tmp_path)[0].startswith(
        "fake.jsonl.gz: unreadable gzip data ("
    )


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"text": "no title"}, "missing title"),
        ({"title": "T"}, "missing text"),
        ({"title": "T", "text": None}, "missing text"),
        ({"title": "T", "text": "   "}, "empty text"),
        ({"title": "", "text": "x"}, "empty title"),
        ({"title": "T", "text": "x", "published": "the day after never"}, "unparseable date 'the day after never'"),
        ({"title": "T", "text": "x", "published": 12}, "unparseable date 12"),
        # A date with a part missing is refused, not completed from today ("July 2nd" became 2026-07-02).
        (
            {"title": "T", "text": "x", "published": "July 2nd"},
            "date 'July 2nd' has no year: give the whole date, e.g. 2025-07-02",
        ),
        (
            {"title": "T", "text": "x", "published": "March 2025"},
            "date 'March 2025' has no day: give the whole date, e.g. 2025-07-02",
        ),
        ({"title": 5, "text": "x"}, "title must be a string, got int"),
        ({"title": "T", "text": "x", "authors": 3}, "authors must be a name or a list of names"),
        ({"title": "T", "text": "x", "id": "has space"}, "id 'has space' must be 1-200 letters, digits or . _ : -"),
        ({}, "missing title; missing text"),
        (["not", "an", "object"], "expected an article object, got a list"),
        ("text", "expected an article object, got a string"),
    ],
)
def test_bad_items_are_named_and_the_rest_still_read(tmp_path: Path, obj: object, message: str) -> None:
    got = read(tmp_path, "batch.json", json.dumps([A, obj, B]))
    assert titles(got) == ["Alpha", "Beta"]
    assert errors(got, tmp_path) == [f"batch.json[1]: {message}"]


def test_error_messages_carry_no_pydantic_dump() -> None:
    err = parse_article_obj({"title": "", "text": " ", "published": "nope"}, "x.json")
    assert isinstance(err, ArticleError)
    assert err.reason == "empty title; empty text; unparseable date 'nope'" and err.where == "x.json"
    assert "validation error" not in str(err) and "pydantic" not in str(err)


def test_text_over_the_size_limit(tmp_path: Path) -> None:
    f = write(tmp_path, "big.jsonl", json.dumps({"title": "Big", "text": "x" * 50}) + "\n" + json.dumps(B) + "\n")
    got = list(read_paths([f], limits=Limits(article_chars=20)))
    assert titles(got) == ["Beta"]
    assert errors(got, tmp_path) == ["big.jsonl:1: text has 50 characters, over the limit of 20 (QA_MAX_ARTICLE_CHARS)"]


def test_field_aliases(tmp_path: Path) -> None:
    obj = {
        "headline": "H",
        "body": "B.",
        "publishedAt": "2025-07-01T10:00:00Z",
        "author": "Ann, Bob",
        "outlet": "Wire",
        "link": "https://x.test/h",
    }
    (a,) = read(tmp_path, "a.json", json.dumps(obj))
    assert isinstance(a, Article)
    assert (a.title, a.text, a.source, a.authors, a.url) == ("H", "B.", "Wire", ["Ann", "Bob"], "https://x.test/h")
    assert a.published == datetime(2025, 7, 1, 10, tzinfo=UTC)
    more = {"title": "T", "content": "C.", "date": "2025-07-02", "author": ["Cy"], "publisher": {"name": "P"}}
    (b,) = read(tmp_path, "b.json", json.dumps([more]))
    assert isinstance(b, Article) and (b.text, b.published, b.authors) == ("C.", date(2025, 7, 2), ["Cy"])
    # A canonical key wins over its alias, unless it is null.
    for obj in ({"title": "Real", "headline": "Alias"}, {"headline": "Alias", "title": "Real"}):
        (c,) = read(tmp_path, "c.json", json.dumps({**obj, "text": "t"}))
        assert isinstance(c, Article) and c.title == "Real"
    (d,) = read(tmp_path, "d.json", json.dumps({"headline": "Alias", "title": None, "text": "t"}))
    assert isinstance(d, Article) and d.title == "Alias"


def test_utf8_bom_is_fine_and_other_encodings_of_json_are_an_error(tmp_path: Path) -> None:
    assert titles(read(tmp_path, "bom.json", b"\xef\xbb\xbf" + json.dumps(A).encode())) == ["Alpha"]
    assert titles(read(tmp_path, "bom.jsonl", b"\xef\xbb\xbf" + json.dumps(A).encode() + b"\n")) == ["Alpha"]
    (err,) = errors(read(tmp_path, "latin.json", '{"title": "Café", "text": "x"}'.encode("latin-1")), tmp_path)
    assert err == "latin.json: not UTF-8 text (invalid continuation byte at byte 14)"


# -- txt and HTML ------------------------------------------------------------------------------


def test_plain_txt_is_one_article_with_its_text_intact(tmp_path: Path) -> None:
    body = "First paragraph.\n\nSecond one, which mentions related articles and comments.\nA third line."
    (a,) = read(tmp_path, "note.txt", f"\n  My title  \n\n{body}\n\n")
    assert isinstance(a, Article) and a.title == "My title" and a.text == body
    assert errors(read(tmp_path, "empty.txt", "  \n"), tmp_path) == ["empty.txt: empty file"]
    assert errors(read(tmp_path, "title-only.txt", "Just a title\n"), tmp_path) == ["title-only.txt: empty text"]


def test_txt_that_is_not_utf8_is_read_as_cp1252(tmp_path: Path) -> None:
    (a,) = read(tmp_path, "old.txt", "Café opens\nThe café opened \u2014 finally.\r\n".encode("cp1252"))
    assert isinstance(a, Article) and a.title == "Café opens" and a.text == "The café opened \u2014 finally."


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_txt_saved_as_utf16_is_read_as_such(tmp_path: Path, encoding: str) -> None:
    # Notepad's "Unicode": with a byte-order mark ("utf-16"), and the same text without one.
    text = "Café opens\r\nThe café opened \u2014 finally, on Monday.\r\n"
    (a,) = read(tmp_path, "notepad.txt", text.encode(encoding))
    assert isinstance(a, Article) and a.title == "Café opens" and a.text == "The café opened \u2014 finally, on Monday."


def test_json_saved_as_utf16_is_told_to_be_utf8(tmp_path: Path) -> None:
    (err,) = errors(read(tmp_path, "wide.json", json.dumps(A).encode("utf-16")), tmp_path)
    assert err == "wide.json: UTF-16 text, but JSON must be UTF-8: save it as UTF-8"


def test_txt_page_is_split(tmp_path: Path) -> None:
    page = (Path(__file__).parent / "fixtures" / "page_no_anchor.txt").read_text()
    got = read(tmp_path, "page.txt", page)
    assert titles(got) == ["Storm knocks out power to thousands", "Schools close as storm cleanup continues"]


def test_txt_page_entry_without_text_is_named(tmp_path: Path) -> None:
    page = (
        "Lead title\nLead body sentence here.\nRelated Articles\n\nWire\n1 hour ago\n- Wire\nOnly a title\nComments\n"
    )
    got = read(tmp_path, "p.txt", page)
    assert titles(got) == ["Lead title"]
    assert errors(got, tmp_path) == ["p.txt[1]: no article text under 'Only a title' once page furniture is removed"]


HTML = """<html><head><title>Bridge reopens | Harbor Times</title>
<meta property="og:title" content="Harbor bridge reopens after repairs">
<meta property="og:site_name" content="Harbor Times">
<meta name="author" content="Ana Ruiz; Tom Becker">
<meta property="article:published_time" content="2025-03-14T09:00:00Z">
<link rel="canonical" href="https://harbor.example/bridge">
</head><body><nav><a href="/">Home</a> | <a href="/s">Sports</a> | <a href="/w">Weather</a></nav>
<article><h1>Harbor bridge reopens after repairs</h1>
<p>{body}</p><p>Officials said traffic would be light during the first week after the reopening.</p></article>
<footer>Copyright Harbor Times. Subscribe now!</footer></body></html>"""


def test_html_main_text_and_metadata(tmp_path: Path) -> None:
    body = " ".join(["The harbor bridge reopened on Friday after two years of repairs."] * 4)
    (a,) = read(tmp_path, "bridge.html", HTML.format(body=body))
    assert isinstance(a, Article)
    assert a.title == "Harbor bridge reopens after repairs" and a.source == "Harbor Times"
    assert a.authors == ["Ana Ruiz", "Tom Becker"] and a.published == date(2025, 3, 14)
    assert a.url == "https://harbor.example/bridge" and a.id == url_id("https://harbor.example/bridge")
    assert a.text.startswith("The harbor bridge reopened on Friday")  # the <h1> is the title, not text
    assert "first week after the reopening." in a.text
    assert all(junk not in a.text for junk in ("Subscribe", "Sports", "Copyright"))


def test_html_charset_and_empty_pages(tmp_path: Path) -> None:
    html = HTML.format(body="The caf\u00e9 on the bridge reopened on Friday after two years of repairs, owners said.")
    html = html.replace("<head>", '<head><meta charset="windows-1252">')
    (a,) = read(tmp_path, "cafe.htm", html.encode("cp1252"))
    assert isinstance(a, Article) and "caf\u00e9 on the bridge" in a.text
    assert errors(read(tmp_path, "blank.html", "<html><body></body></html>"), tmp_path) == [
        "blank.html: no article text found in the HTML"
    ]


# -- paths -------------------------------------------------------------------------------------


def test_folders_recurse_in_sorted_order_and_skip_hidden_and_unknown(tmp_path: Path) -> None:
    write(tmp_path, "b/sub/one.json", json.dumps({**A, "title": "B-sub-one", "url": None}))
    write(tmp_path, "a.jsonl", json.dumps({**A, "title": "A"}) + "\n")
    write(tmp_path, "b/c.txt", "B-c\nText of c.")
    write(tmp_path, "b/z.HTML", HTML.format(body="The harbor bridge reopened on Friday after two years of repairs."))
    write(tmp_path, "b/a.json.gz", b"not supported inside folders")
    write(tmp_path, ".hidden.json", json.dumps(A))
    write(tmp_path, ".git/x.json", json.dumps(A))
    write(tmp_path, "notes.md", "ignored inside folders")
    got = list(read_paths([tmp_path]))
    assert errors(got) == []
    assert titles(got) == ["A", "B-c", "B-sub-one", "Harbor bridge reopens after repairs"]


def test_missing_and_unsupported_paths_named_explicitly(tmp_path: Path) -> None:
    notes = write(tmp_path, "notes.md", "x")
    good = write(tmp_path, "good.json", json.dumps(A))
    got = list(read_paths([tmp_path / "nope.json", notes, str(good)]))
    assert titles(got) == ["Alpha"]
    assert errors(got) == [
        f"{tmp_path / 'nope.json'}: no such file or folder",
        f"{notes}: unsupported file type (supported: {', '.join(SUFFIXES)})",
    ]


def test_unreadable_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = write(tmp_path, "locked.json", json.dumps(A))
    good = write(tmp_path, "good.json", json.dumps(B))
    real = Path.read_bytes

    def read_bytes_(self: Path) -> bytes:
        if self.name == "locked.json":  # chmod does not stop root, so fail the read directly
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes_)
    got = list(read_paths([f, good]))
    assert titles(got) == ["Beta"] and errors(got) == [f"{f}: cannot read file (Permission denied)"]


def test_read_bytes_names_the_format_by_extension() -> None:
    assert titles(list(read_bytes(json.dumps(A).encode(), "upload.JSON"))) == ["Alpha"]
    (err,) = list(read_bytes(b"x", "upload.pdf"))
    assert isinstance(err, ArticleError) and err.where == "upload.pdf" and "unsupported file type" in err.reason


# -- no input crashes a reader -----------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=600), suffix=st.sampled_from(SUFFIXES), gz=st.booleans())
def test_no_bytes_crash_read_bytes(data: bytes, suffix: str, gz: bool) -> None:
    if gz and suffix == ".jsonl.gz":  # also reach past the gzip layer
        data = gzip.compress(data)
    for item in read_bytes(data, f"x{suffix}"):
        assert isinstance(item, Article | ArticleError)


_KEYS = ["title", "text", "headline", "body", "published", "date", "author", "authors", "source", "publisher"]
_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
_JSONISH = st.recursive(
    _SCALARS,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.sampled_from([*_KEYS, "url", "id", "x"]), kids),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(obj=_JSONISH)
def test_no_json_value_crashes_parse_article_obj(obj: object) -> None:
    item = parse_article_obj(obj, "x.json")
    assert isinstance(item, Article | ArticleError)
    if isinstance(item, ArticleError):
        assert item.reason and "\n" not in item.reason
    for x in read_bytes(json.dumps(obj).encode(), "x.json"):
        assert isinstance(x, Article | ArticleError)
