from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.errors import ArticleError
from qa.ingest.pages import looks_like_page, parse_time_line, split_names, split_page
from qa.ingest.readers import read_bytes, read_paths
from qa.models import Article

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "seeds" / "ap-drones-related-page.txt"
FIXTURES = Path(__file__).parent / "fixtures"
EDT = timezone(timedelta(hours=-4))
PDT = timezone(timedelta(hours=-7))


def articles(path: Path) -> list[Article]:
    items = list(read_paths([path]))
    assert [str(x) for x in items if isinstance(x, ArticleError)] == []
    return [x for x in items if isinstance(x, Article)]


def page(text: str) -> list[Article]:
    items = split_page(text, "t.txt")
    assert all(isinstance(x, Article) for x in items), items
    return [x for x in items if isinstance(x, Article)]


# -- the seed page -----------------------------------------------------------------------------

SEED_FURNITURE = [
    "Hashtags",
    "Try Our AI Features",
    "Explore what",
    "can do for you",
    "Comments",
    "No comments yet",
    "Related Articles",
    "Advertisement",
    "Getty Images",
    "(KCTV)",
    "AFP",
    "Reuters",
    " AP ",
    "| Daniel Slim",
    "minutes ago",
    "- New York Post",
    "With Post wires",
    "write for the Associated Press",
    "07/01/2025",
    "04:30 PM EDT",
    "By Paul McLeary",
    " 5 ",
    "It's been over a year since",  # a gallery caption ("5 <caption> AP")
    "A review of Pentagon munitions stockpiles led to",  # a caption ("<caption> | <credit>")
]


def test_seed_page_yields_exactly_its_four_articles() -> None:
    arts = articles(SEED)
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
    assert ap.authors == ["Novikov", "Burrows"] and post.authors == [] and globe.authors == []
    assert politico.authors == ["Paul McLeary", "Jack Detsch", "Joe Gould"]


def test_seed_page_dates_come_from_the_page_only() -> None:
    ap, post, globe, politico = articles(SEED)
    assert ap.published is None  # the AP article states no date
    # Politico states 07/01/2025 04:30 PM EDT and "32 minutes ago": the page was saved at 17:02 EDT.
    assert politico.published == datetime(2025, 7, 1, 16, 30, tzinfo=EDT)
    assert post.published == datetime(2025, 7, 1, 16, 49, tzinfo=EDT)  # 13 minutes ago
    assert globe.published == datetime(2025, 7, 1, 16, 35, tzinfo=EDT)  # 27 minutes ago
    for a in (post, globe, politico):
        assert isinstance(a.published, datetime) and a.published.utcoffset() == timedelta(hours=-4)


def test_seed_page_texts_hold_no_furniture_and_keep_the_prose() -> None:
    ap, post, globe, politico = articles(SEED)
    for a in (ap, post, globe, politico):
        for junk in SEED_FURNITURE:
            assert junk not in a.text, (a.source, junk)
        assert a.text == a.text.strip() and "  " not in a.text and "\n\n\n" not in a.text
    assert ap.text.startswith("Both sides in the more than three-year war")
    assert ap.text.endswith("65 billion euros ($77 billion) from the U.S., the institute said last month.")
    assert ap.text.count("\n\n") == 17  # its 18 paragraphs
    assert "collated by The Associated Press." in ap.text  # a name inside a sentence is no credit
    for sentence in (
        "for the Russian cause. The show was the first public acknowledgment from Kim about his army's role in "
        "the Ukraine invasion. At one point in the program, the camera panned",
        "South Korean intelligence. Spectators in the crowd were seen weeping over the performance in the "
        "totalitarian state. The show was a rare public tribute from Kim",
        "at the cost of blood.' In exchange for expendable soldiers and weapons",
    ):
        assert sentence in post.text
    assert post.text.endswith("leading to improvements in missile guidance performance.'")
    assert "endures, analysts say. 'Once the decision was made" in globe.text
    assert globe.text.endswith("Kim also vowed to establish a monument in Pyongyang in their honor.")
    dek, body = politico.text.split("\n\n")
    assert dek == (
        "The decision was driven by the Pentagon's policy chief, Elbridge Colby, and was made after a review of "
        "Pentagon munitions stockpiles."
    )
    assert body.startswith("The Pentagon has halted shipments of some air defense missiles")
    assert body.endswith("civilian targets in Kyiv and elsewhere.")


# -- variant pages -----------------------------------------------------------------------------


def test_variant_with_an_hours_anchor_a_day_offset_and_a_dateline() -> None:
    lead, cnn, guardian, lat = articles(FIXTURES / "page_wildfire.txt")
    assert (lead.title, lead.source, lead.authors) == (
        "Wildfire forces thousands to flee homes east of Los Angeles",
        "Reuters",  # from "Maria Lopez writes for Reuters."
        ["Maria Lopez"],
    )
    assert lead.published == date(2025, 7, 1)  # the dateline under the title
    assert lead.text.split("\n\n") == [
        "Firefighters battled a fast-moving wildfire east of Los Angeles on Tuesday as evacuation orders covered "
        "more than 12,000 homes, officials said.",
        "The fire had burned about 8,000 acres by midafternoon and was 5% contained, according to the state fire "
        "agency.",
        "Strong winds pushed embers across two highways, forcing the closure of Interstate 10 for several hours.",
    ]
    # CNN: "2 hours ago" and a byline run stamped 3:00 PM PDT → the page was saved at 5:00 PM PDT.
    assert (cnn.source, cnn.authors) == ("CNN", ["Nora Diaz", "Sam Park"])
    assert cnn.published == datetime(2025, 7, 1, 15, 0, tzinfo=PDT)
    assert cnn.text == (
        "Shelters in Riverside County filled up overnight as families fled the flames.\n\n"
        "Red Cross volunteers handed out cots and water at three high schools. "
        "Officials said more shelters would open on Wednesday."
    )
    assert (guardian.source, guardian.published) == ("The Guardian", date(2025, 6, 30))  # "1 day ago": a day
    assert guardian.text == (
        "Forecasters warned that the dry winter left hillsides primed to burn. State officials have pre-positioned "
        "crews in 12 counties. The governor declared a state of emergency for three counties. Reuters reported "
        "that 40 homes were lost, according to the county."
    )
    # A header without the outlet line: time, then "- Outlet".
    assert (lat.title, lat.source) == ("Interstate 10 reopens after fire closure", "Los Angeles Times")
    assert lat.published == datetime(2025, 7, 1, 16, 15, tzinfo=PDT)


def test_variant_yesterday_anchor_dates_days_but_not_hours() -> None:
    lead, shop, parking = articles(FIXTURES / "page_yesterday.txt")
    assert [a.source for a in (lead, shop, parking)] == [None, "Metro Daily", "Harbor Times"]
    assert parking.published == datetime(2024, 3, 14, 9, 15, tzinfo=PDT) and parking.authors == [
        "Ana Ruiz",
        "Tom Becker",
    ]
    # "yesterday" fixes only the day of "now" (March 15); "2 hours ago" could be either day.
    assert shop.published is None and lead.published is None
    assert "Advertisement" not in lead.text and "Share this" not in lead.text and "Be the first" not in lead.text
    assert shop.text.endswith(
        '"This is a great day," said one owner. The council will review the plan again next year.'
    )
    assert parking.text == (
        "Merchants near the waterfront fear the loss of 300 parking spaces.\n\n"
        "The merchants association plans to appeal the decision."
    )


def test_relative_dates_without_an_anchor_stay_unknown() -> None:
    lead, related = articles(FIXTURES / "page_no_anchor.txt")
    assert (related.source, related.title) == ("Valley Herald", "Schools close as storm cleanup continues")
    assert related.published is None  # "45 minutes ago", but the page states no absolute time
    assert lead.text == (
        "A late-season storm knocked out power to about 40,000 homes on Tuesday, the utility said.\n\n"
        "Crews expect to restore most service by Thursday."
    )


def test_single_article_page_without_related_section() -> None:
    (a,) = articles(FIXTURES / "page_single.txt")
    assert (a.title, a.source, a.published) == ("Council approves new budget for city parks", None, date(2025, 7, 1))
    assert a.text == (
        "The city council approved a $4.2 million budget for parks on Tuesday, the largest in a decade.\n\n"
        "The plan adds two playgrounds and extends pool hours through September, officials said."
    )


def test_page_opening_with_a_header_and_an_absolute_only_time() -> None:
    oil, gold = articles(FIXTURES / "page_markets.txt")
    assert (oil.title, oil.source, oil.published) == (
        "Oil prices rise as supply worries mount",
        "Reuters",
        datetime(2025, 7, 1, 9, 30, tzinfo=UTC),
    )
    assert oil.text.endswith("Reuters Breakingviews columnists said the rally may fade.")  # a name, not a credit
    # Reuters gives an absolute time but no "ago": nothing anchors Bloomberg's "3 hours ago".
    assert (gold.source, gold.published) == ("Bloomberg", None)
    assert gold.text == (
        "Gold prices slipped on Tuesday as the dollar strengthened against major currencies. "
        "Analysts expect more volatility this week."
    )


def test_related_list_without_headers() -> None:
    arts = articles(FIXTURES / "page_headerless_related.txt")
    assert [(a.title, a.source) for a in arts] == [
        ("Library extends weekend hours", None),
        ("Pool reopens after repairs", None),
        ("Museum adds free evenings", None),  # the bare list of titles after it is not an article
    ]


def test_title_right_above_a_header_is_the_lead() -> None:
    (a,) = page(
        "Markets close higher on tech rally\nReuters\n2 hours ago\n- Reuters\n"
        "Stocks closed higher on Tuesday as chipmakers rallied.\nThey gained 2% in the last hour of trading.\n"
        "Comments\nNo comments yet...\n"
    )
    assert (a.title, a.source, a.published) == ("Markets close higher on tech rally", "Reuters", None)
    assert (
        a.text
        == "Stocks closed higher on Tuesday as chipmakers rallied.\n\nThey gained 2% in the last hour of trading."
    )


def test_short_title_over_a_dateline_is_not_a_header() -> None:
    (a,) = page("Storm hits coast\nJuly 1, 2025\nA storm hit the coast on Tuesday.\nHashtags\nComments\n")
    assert (a.title, a.source, a.published, a.text) == (
        "Storm hits coast",
        None,
        date(2025, 7, 1),
        "A storm hit the coast on Tuesday.",
    )


# -- detection and the pieces ------------------------------------------------------------------


def test_plain_text_is_not_a_page() -> None:
    plain = (
        "Council meets on budget\nThe council met on Tuesday.\nComments from residents were mixed.\n"
        "Reuters reported the vote.\n13 minutes ago the meeting ended.\n"
    )
    assert not looks_like_page(plain)
    assert looks_like_page("T\nBody.\nRelated Articles\n")
    assert looks_like_page("T\nBody.\nHashtags\nComments\n")
    assert not looks_like_page("T\nBody.\nComments\n")  # one lone marker is not enough
    assert looks_like_page("T\nBody.\n\nWire\n5 hours ago\n- Wire\nTitle\nBody.\n")
    (a,) = list(read_bytes(plain.encode(), "plain.txt"))
    assert isinstance(a, Article) and a.text == plain.split("\n", 1)[1].strip()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("07/01/2025 04:30 PM EDT", datetime(2025, 7, 1, 16, 30, tzinfo=EDT)),
        ("July 1, 2025", date(2025, 7, 1)),
        ("Tuesday, July 1, 2025 at 4:30 p.m. ET", datetime(2025, 7, 1, 16, 30, tzinfo=EDT)),
        ("Jan. 5, 2025 9:00 AM ET", datetime(2025, 1, 5, 9, 0, tzinfo=timezone(timedelta(hours=-5)))),
        ("1 July 2025 16:30 BST", datetime(2025, 7, 1, 16, 30, tzinfo=timezone(timedelta(hours=1)))),
        ("2025-07-01", date(2025, 7, 1)),
        ("2025-07-01T16:30:00+02:00", datetime(2025, 7, 1, 16, 30, tzinfo=timezone(timedelta(hours=2)))),
        ("Updated: 2025-07-01 16:30", datetime(2025, 7, 1, 16, 30)),
        ("13/45/2025", None),
        ("the day after", None),
        ("Reuters", None),
    ],
)
def test_absolute_time_lines(line: str, expected: object) -> None:
    got = parse_time_line(line)
    assert got == expected
    if isinstance(expected, datetime):
        assert isinstance(got, datetime) and got.utcoffset() == expected.utcoffset()


def test_relative_time_lines_resolve_only_against_the_page() -> None:
    # Only the anchor (absolute + relative) dates the other entries; units resolve at their precision.
    text = (
        "Lead\nLead body sentence.\nRelated Articles\n\n"
        "Wire\n90 minutes ago\n- Wire\nAnchor\nBy Ann Lee 2025-07-01 10:00 UTC Body one.\n\n"
        "Post\n3 days ago\n- Post\nDays\nBody two.\n\n"
        "Herald\nyesterday\n- Herald\nDay before\nBody three.\n\n"
        "Times\n2 months ago\n- Times\nMonths\nBody four.\n\n"
        "Daily\n1h ago\n- Daily\nHour\nBody five.\n\n"
        "Net\njust now\n- Net\nNow\nBody six.\n"
    )
    got = {a.title: a.published for a in page(text)}
    assert got == {
        "Lead": None,
        "Anchor": datetime(2025, 7, 1, 10, 0, tzinfo=UTC),
        "Days": date(2025, 6, 28),
        "Day before": date(2025, 6, 30),
        "Months": None,
        "Hour": datetime(2025, 7, 1, 10, 30, tzinfo=UTC),
        "Now": datetime(2025, 7, 1, 11, 30, tzinfo=UTC),
    }


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ("Paul McLeary Jack Detsch and Joe Gould", ["Paul McLeary", "Jack Detsch", "Joe Gould"]),
        ("Novikov and Burrows", ["Novikov", "Burrows"]),
        ("Ana Ruiz, Tom Becker & Li Wei", ["Ana Ruiz", "Tom Becker", "Li Wei"]),
        ("Mary Ann Smith", ["Mary Ann Smith"]),
    ],
)
def test_split_names(names: str, expected: list[str]) -> None:
    assert split_names(names) == expected


@pytest.mark.parametrize(
    ("body", "clean"),
    [
        # Numbered gallery caption closed by its number; the sentence after it stays.
        ("A happened. 3 Crowds gather in the square. John Smith/Reuters 3 B followed.", "A happened. B followed."),
        # Gallery caption without its closing number, ended by a credit.
        ("A happened. 2 Crowds gather. AP Photo/Jane Doe B followed.", "A happened. B followed."),
        (
            "A happened. Crowds gather in the square. | Jane Doe/AFP via Getty Images B followed.",
            "A happened. B followed.",
        ),
        ("A happened. EPA-EFE/Shutterstock B followed.", "A happened. B followed."),
        ("A happened. Advertisement 'B,' she said.", "A happened. 'B,' she said."),
        ("A happened. B followed. With AP wires", "A happened. B followed."),
        ("A happened. Additional reporting by Jane Doe in Kyiv.", "A happened."),
        # Not credits: a name inside a sentence, an agency as subject, an organisation's name.
        ("Data collated by The Associated Press show it. AP reported it too.", None),
        ("A happened. Reuters Television showed it.", None),
        ("A happened. Bloomberg News reported it.", None),
        ("It rose 5 percent. 5 People were hurt, AP said.", None),
    ],
)
def test_inline_furniture(body: str, clean: str | None) -> None:
    (a,) = page(f"Title\n{body}\nHashtags\nComments\n")
    assert a.text == (clean or body)


# -- no page crashes the splitter --------------------------------------------------------------

_LINES = st.sampled_from(
    [
        "",
        "New York Post",
        "- New York Post",
        "13 minutes ago",
        "yesterday",
        "2 days ago",
        "07/01/2025 04:30 PM EDT",
        "July 1, 2025",
        "Related Articles",
        "Hashtags",
        "Comments",
        "Advertisement",
        "Reuters",
        "By Ann Lee",
        "Ann Lee writes for the Post.",
        "A headline about the news",
        "A sentence. 5 A caption. Getty Images 5 Another sentence.",
        "By Ann Lee and Bo Chan 07/01/2025 04:30 PM EDT Body.",
        "Lead. A caption. | Jo Ko/AFP via Getty Images Next. Reuters Then.",
    ]
)


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(_LINES | st.text(max_size=80), max_size=25))
def test_no_page_crashes_the_splitter(lines: list[str]) -> None:
    text = "\n".join(lines)
    for item in read_bytes(text.encode(), "p.txt"):
        assert isinstance(item, Article | ArticleError)
        if isinstance(item, Article):
            assert item.text.strip() and item.title.strip()
    for x in split_page(text, "p.txt"):
        assert isinstance(x, Article | ArticleError)
