from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.errors import ArticleError
from qa.ingest.readers import read_bytes, read_paths
from qa.models import Article, url_id

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
EDT = timezone(timedelta(hours=-4))

A = {
    "title": "Alpha",
    "text": "Alpha text.",
    "url": "https://x.test/a",
    "source": "X",
    "published": "2025-07-01",
}
B = {"title": "Beta", "text": "Beta text.", "id": "b-1", "authors": ["Ann"]}


def items(tmp: Path, name: str, content: str | bytes) -> list[Article | ArticleError]:
    f = tmp / name
    f.write_bytes(content if isinstance(content, bytes) else content.encode())
    return list(read_paths([f]))


def ok(xs: list[Article | ArticleError]) -> list[Article]:
    return [x for x in xs if isinstance(x, Article)]


def errors(xs: list[Article | ArticleError]) -> list[str]:
    return [str(x) for x in xs if isinstance(x, ArticleError)]


def test_json_object_list_and_wrapper(tmp_path: Path) -> None:
    assert [a.title for a in ok(items(tmp_path, "one.json", json.dumps(A)))] == ["Alpha"]
    assert [a.title for a in ok(items(tmp_path, "list.json", json.dumps([A, B])))] == [
        "Alpha",
        "Beta",
    ]
    wrapped = ok(items(tmp_path, "w.json", json.dumps({"articles": [A, B]})))
    assert [a.id for a in wrapped] == [url_id("https://x.test/a"), "b-1"]
    assert wrapped[0].published == date(2025, 7, 1) and wrapped[1].authors == ["Ann"]


def test_jsonl_and_gz_with_a_bad_line(tmp_path: Path) -> None:
    content = "\n".join([json.dumps(A), "{not json", "", json.dumps(B)]) + "\n"
    got = items(tmp_path, "feed.jsonl", content)
    assert [a.title for a in ok(got)] == ["Alpha", "Beta"]
    assert errors(got) == ["feed.jsonl:2: invalid JSON (Expecting property name enclosed in double quotes at column 2)"]
    gz = items(tmp_path, "feed.jsonl.gz", gzip.compress(content.encode()))
    assert [a.title for a in ok(gz)] == ["Alpha", "Beta"] and len(errors(gz)) == 1


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"text": "no title"}, "missing title"),
        ({"title": "T", "text": "   "}, "empty text"),
        (
            {"title": "T", "text": "x", "published": "the day after never"},
            "unparseable date 'the day after never'",
        ),
        ({"title": "", "text": "x"}, "empty title"),
        (["not", "an", "object"], "expected an article object, got list"),
    ],
)
def test_bad_items_are_named_and_the_rest_read(tmp_path: Path, obj: object, message: str) -> None:
    got = items(tmp_path, "batch.json", json.dumps([A, obj, B]))
    assert [a.title for a in ok(got)] == ["Alpha", "Beta"]
    assert errors(got) == [f"batch.json[1]: {message}"]


def test_field_aliases(tmp_path: Path) -> None:
    obj = {
        "headline": "H",
        "body": "B.",
        "publishedAt": "2025-07-01T10:00:00Z",
        "author": "Ann, Bob",
        "source": {"name": "Wire"},
        "link": "https://x.test/h",
    }
    (a,) = ok(items(tmp_path, "a.json", json.dumps(obj)))
    assert (a.title, a.text, a.source, a.authors, a.url) == (
        "H",
        "B.",
        "Wire",
        ["Ann", "Bob"],
        "https://x.test/h",
    )
    assert a.published == datetime(2025, 7, 1, 10, tzinfo=UTC)


def test_plain_txt_is_one_article(tmp_path: Path) -> None:
    (a,) = ok(items(tmp_path, "note.txt", "My title\n\nFirst paragraph.\n\nSecond one.\n"))
    assert a.title == "My title" and a.text == "First paragraph.\n\nSecond one."
    assert errors(items(tmp_path, "empty.txt", "  \n")) == ["empty.txt: empty file"]


def test_html_main_text_and_metadata(tmp_path: Path) -> None:
    body = " ".join(["The harbor bridge reopened on Friday after two years of repairs."] * 4)
    html = f"""<html><head><title>Bridge reopens | Harbor Times</title>
    <meta property="og:title" content="Harbor bridge reopens after repairs">
    <meta property="og:site_name" content="Harbor Times">
    <meta name="author" content="Ana Ruiz">
    <meta property="article:published_time" content="2025-03-14T09:00:00Z">
    </head><body><nav>Home | Sports | Weather</nav><article><h1>Harbor bridge reopens after repairs</h1>
    <p>{body}</p><p>Officials said traffic would be light during the first week.</p></article>
    <footer>Copyright Harbor Times. Subscribe now!</footer></body></html>"""
    (a,) = ok(items(tmp_path, "bridge.html", html))
    assert a.title == "Harbor bridge reopens after repairs"
    assert a.source == "Harbor Times" and a.authors == ["Ana Ruiz"]
    assert a.published_date == date(2025, 3, 14)
    assert "reopened on Friday" in a.text and "Subscribe" not in a.text and "Sports" not in a.text
    assert errors(items(tmp_path, "blank.html", "<html><body></body></html>")) == [
        "blank.html: no article text found in the HTML"
    ]


def test_folders_recurse_in_order_and_skip_hidden_and_unknown(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.json").write_text(json.dumps(B))
    (tmp_path / "a.json").write_text(json.dumps(A))
    (tmp_path / ".hidden.json").write_text(json.dumps(A))
    (tmp_path / "notes.md").write_text("ignored inside folders")
    assert [a.title for a in ok(list(read_paths([tmp_path])))] == ["Alpha", "Beta"]


def test_missing_and_unsupported_paths_named_explicitly(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("x")
    got = list(read_paths([tmp_path / "nope.json", tmp_path / "notes.md"]))
    assert [str(e) for e in got] == [
        f"{tmp_path / 'nope.json'}: no such file or folder",
        f"{tmp_path / 'notes.md'}: unsupported file type (supported: .json, .jsonl, .jsonl.gz, .json.gz, "
        ".txt, .html, .htm)",
    ]


def test_not_utf8_json_is_an_error(tmp_path: Path) -> None:
    assert errors(items(tmp_path, "bad.json", b'{"title": "\xff"}'))[0].startswith("bad.json: not UTF-8 text")


# -- the seed page and pages like it ----------------------------------------------------------

FURNITURE = [
    "Hashtags",
    "Try Our AI Features",
    "Explore what",
    "Comments",
    "No comments yet",
    "Related Articles",
    "Advertisement",
    "Getty Images",
    "minutes ago",
    "- New York Post",
    "With Post wires",
    "write for the Associated Press",
    "07/01/2025",
    "By Paul McLeary",
    "Reuters At one point",
]


def test_seed_page_yields_its_four_articles() -> None:
    got = list(read_paths([REPO / "seeds"]))
    assert errors(got) == []
    arts = ok(got)
    assert [(a.title, a.source) for a in arts] == [
        (
            "Ukrainian drone hits a plant deep inside Russia after record Russian drone attacks in June",
            "Associated Press",
        ),
        (
            "Kim Jong Un throws himself on coffin of North Korean soldier killed fighting for Russia in bizarre "
            "TV show",
            "New York Post",
        ),
        ("Russia-Ukraine war comes home to North Korea", "Boston Globe"),
        ("Pentagon halting some promised munitions for Ukraine", "Politico"),
    ]
    ap, post, globe, politico = arts
    assert ap.authors == ["Novikov", "Burrows"] and ap.published is None  # the page gives AP no date
    assert politico.authors == ["Paul McLeary", "Jack Detsch", "Joe Gould"]
    # Politico states 04:30 PM EDT and "32 minutes ago": the page was captured at 17:02 EDT.
    assert politico.published == datetime(2025, 7, 1, 16, 30, tzinfo=EDT)
    assert post.published == datetime(2025, 7, 1, 16, 49, tzinfo=EDT)  # 13 minutes ago
    assert globe.published == datetime(2025, 7, 1, 16, 35, tzinfo=EDT)  # 27 minutes ago
    for a in arts:
        for junk in FURNITURE:
            assert junk not in a.text, (a.source, junk)
    assert "Russia last month launched 5,438 drones at Ukraine" in ap.text
    assert ap.text.rstrip().endswith("65 billion euros ($77 billion) from the U.S., the institute said last month.")
    assert "At one point in the program, the camera panned" in post.text
    assert "The Pentagon has halted shipments" in politico.text
    assert politico.text.startswith("The Pentagon has halted shipments")
    assert "Kim also vowed to establish a monument in Pyongyang in their honor." in globe.text


def test_page_variant_with_yesterday_and_a_byline_anchor() -> None:
    got = ok(list(read_paths([FIXTURES / "page_yesterday.txt"])))
    assert [(a.title, a.source) for a in got] == [
        ("City council approves downtown bike lanes after long debate", None),
        ("Bike shop owners cheer council vote", "Metro Daily"),
        ("Parking fears grow among merchants", "Harbor Times"),
    ]
    main, shop, parking = got
    assert "Advertisement" not in main.text and "Share this" not in main.text and "Be the first" not in main.text
    assert "Getty Images" not in shop.text and "The council will review the plan again next year." in shop.text
    pdt = timezone(timedelta(hours=-7))
    # The byline run dates the Harbor Times piece; "yesterday" on it fixes the page's "now".
    assert parking.published == datetime(2024, 3, 14, 9, 15, tzinfo=pdt)
    assert parking.authors == ["Ana Ruiz", "Tom Becker"]
    assert "By Ana Ruiz" not in parking.text and parking.text.startswith("Merchants near the waterfront")
    assert main.published is None


def test_relative_dates_without_an_anchor_stay_unknown() -> None:
    main, related = ok(list(read_paths([FIXTURES / "page_no_anchor.txt"])))
    assert related.source == "Valley Herald" and related.title == "Schools close as storm cleanup continues"
    assert related.published is None  # "45 minutes ago", but the page states no absolute time
    assert "#storm" not in main.text and main.text.endswith("Crews expect to restore most service by Thursday.")


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=400),
    suffix=st.sampled_from([".json", ".jsonl", ".jsonl.gz", ".txt", ".html"]),
)
def test_no_bytes_crash_a_reader(data: bytes, suffix: str) -> None:
    for item in read_bytes(data, f"x{suffix}"):
        assert isinstance(item, Article | ArticleError)


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=600))
def test_no_text_crashes_the_page_reader(text: str) -> None:
    for item in read_bytes(("Title line\n" + text + "\nRelated Articles\n").encode(), "p.txt"):
        assert isinstance(item, Article | ArticleError)
