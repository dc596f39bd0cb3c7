"""The briefing's parts on their own: what is news, headlines, news value, lead spans, teasers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from qa.briefing import headlines, news
from qa.briefing.clustering import Doc
from qa.briefing.conflicts import conflicts
from qa.briefing.drafting import completed, lead_first, lead_of, news_spans
from qa.briefing.lead_style import lead_style, masked
from qa.briefing.ranking import Story, assess, distinct_texts, rank
from qa.embeddings import Embedder, HashingEmbedder
from qa.engines.base import Draft, DraftSentence, Source, number_sources
from qa.models import ArticleMeta, Chunk, Hit
from qa.prose import CLAUSE_ANAPHOR


@pytest.mark.parametrize(
    "line",
    [
        "Editor's note: This page reflects news of the plane crash near DC on Wednesday, Jan. 29.",
        "This story has been update with the new information about President Donald Trump rescinding the memo.",
        "This story was originally published by ProPublica.",
        "AI-assisted summary In his farewell address, President Biden warned of an oligarchy.",
        "For the latest updates on the search for survivors, please read USA TODAY's live coverage.",
        "Read our earlier coverage here.",
        # Not whole sentences: a link's promo, a heading, a sentence cut at its start.
        "How Trump won the White House (again): How Trump won the White House (again): These key issues propelled win",
        "Farms in Texas, Kansas report finding dead birds on properties",
        "McDonald's is bringing back a fan favorite, the Snack Wrap soon …",
        "are in play, and races down the ballot will decide leadership in the realms of education.",
        "See our full coverage of the election.",
        "What's breakfast without eggs?",
        "Sign up for our daily newsletter to get the news in your inbox.",
        "More: Takeaways from Senate confirmation hearings",
        "Contributing: Jane Doe, USA TODAY",
        "Good morning! I'm Nicole Fallert, Daily Briefing author.",
        "I’m Jane Doe, and this is the morning newsletter.",
        "Get '5 Things' in your inbox",
        "Correction, April 28, 2025: The judge faces two federal charges.",
        "Correction/clarification: A previous version of this story misstated the score.",
        "Video player was slow to load content Video content never loaded Ad froze or did not finish loading",
        "Sign up here for the 5 Things newsletter.",
        "5 Things is your one-stop shop for the latest headlines, plus other stories and videos.",
        # Signposts, newsroom notes, exclamations, asides and a writer's own story (from an
        # editor's read of 80 busy days' briefings).
        "Here's what to know about Milk and the Navy vessel named after him.",
        "Ahead of the esteemed award show, here's a full list of all the awards.",
        "Follow along as the USA TODAY Network brings you news of legal challenges.",
        "The Des Moines Register will be providing updates as more information becomes available.",
        "We're live in Beijing.",
        "UPDATE 5/20/2020 : Breaking news will continue to be posted on caller.com.",
        "On Tuesday’s episode of The Excerpt podcast: U.S. stocks surged Monday.",
        "It's Eagles Super Bowl Parade Day!",
        "(See: Jay-Z clapping back at the Recording Academy for snubbing his wife.)",
        "I was ready to collapse into bed.",
        "Just 10 more minutes of reading a bedtime story to my 2-year-old, and it would be lights out.",
        "At first I was repulsed by the bullying treatment of the Ukrainian president.",
        # Part of a quote that runs on from the sentence before, or into the next.
        "It's okay, I like it,\" Meester told Access Hollywood.",
        'Newsom shot back: "U.S. Marines have served honorably in defense of democracy.',
        # A status at filing time that a later report overtakes (from issue 27's editor read).
        "As of noon, the governor's office had not commented on the suspension.",
        "The company did not immediately respond to USA TODAY's request for comment.",
        "Coca-Cola has yet to release a statement.",
        # A quote with nobody said to have said it, shown as narration.
        '"This is the worst flooding we have seen in a generation, and it is not over."',
        # A quoted exclamation or question with only its speaker: colour, not a fact.
        '"Wouldn\'t that be beautiful?" Trump said.',
        "“Coach, I got your back tonight!” Biden wrote in a post on X.",
    ],
)
def test_housekeeping_and_rhetorical_questions_are_not_news(line: str) -> None:
    assert not news.newsworthy(line)


@pytest.mark.parametrize(
    "line",
    [
        "A passenger jet with 64 people aboard collided with an Army helicopter on Wednesday night.",
        'He asked: "Why would we wait?" and the council voted 5-2 to approve the plan.',
        "The update to the software was released on Monday, the company said.",
        "More than 300 people were evacuated from the town.",
        "“I’m sorry, but we cannot do that,” the mayor said.",
        '"Good morning, Abigail," Samuel said, his voice soft.',
        "The White House said the talks would resume on Monday. [1]",  # an engine's marker after the stop
        'A fake clip told Americans to "vote remotely” due to a threat of terrorism.',  # mixed quote marks
        "World War I ended in 1918 with an armistice.",  # a numeral, not a writer
        "The Phase I trial enrolled 40 people.",
        '"I was ready to collapse," she said.',  # first person in a quote is a quote
        "(Reuters) - The company said on Monday it would cut 500 jobs.",
        "Here, officials said, the water rose 10 feet overnight.",
        '"Why would we wait?" the mayor asked before the council voted 5-2 to approve the plan.',
    ],
)
def test_news_sentences_are_news(line: str) -> None:
    assert news.newsworthy(line)


@pytest.mark.parametrize(
    ("titles", "expected"),
    [
        (
            ["Tariffs on Mexico, Canada are delayed but levies cause economic ..."],
            "Tariffs on Mexico, Canada are delayed",
        ),
        (
            ["Trump offers buyouts to federal workers. What to know and how ..."],
            "Trump offers buyouts to federal workers",
        ),
        (
            ["Live updates: RFK Jr. faces opposition from senators in fiery ..."],
            "RFK Jr. faces opposition from senators",
        ),
        (
            ["Markets steady after worst day for US stocks since June 2020 | CNN ..."],
            "Markets steady after worst day for US stocks since June 2020",
        ),
        (
            ["A global epidemic of cancer among people younger than 50 could ..."],
            "A global epidemic of cancer among people younger than 50",
        ),
        # A complete statement beats a cut one and a question, whatever the order.
        (
            [
                "Is Starbucks cutting its menu? Coffee chain announces offerings will ...",
                "Starbucks cuts 30% of its menu",
            ],
            "Starbucks cuts 30% of its menu",
        ),
        # A question mark only where the title asks and asks once; never added to a statement in
        # headline style or to a title cut before its end.
        (
            ["What Gatorade color has been dumped the most in Super Bowl ..."],
            "What Gatorade color has been dumped the most",
        ),
        (["Why Elon Musk and Joe Biden both love EVs | CNN"], "Why Elon Musk and Joe Biden both love EVs"),
        (
            ["When is the next holiday? See the list of major 2025 holidays"],
            "When is the next holiday? See the list of major 2025 holidays",
        ),
        (["Who won the Super Bowl in 2024"], "Who won the Super Bowl in 2024?"),
        (["What is the best way to watch the eclipse without ..."], "What is the best way to watch the eclipse"),
        # Cut right after a phrase, the title keeps its object; a contrast or a quotation the cut
        # left open goes, and so does a word no title ends on.
        (
            ["Chinese-Canadian tycoon Xiao Jianhua sentenced to 13 years in ..."],
            "Chinese-Canadian tycoon Xiao Jianhua sentenced to 13 years",
        ),
        (["Singapore repeals gay sex ban but limits prospect of legalizing ..."], "Singapore repeals gay sex ban"),
        (["Texas death row inmate Travis Mullis: 'Consumed by shame and ..."], "Texas death row inmate Travis Mullis"),
        (
            ["Taylor Swift's 'Eras' wins box office as 'Killers of the Flower Moon ..."],
            "Taylor Swift's 'Eras' wins box office",
        ),
        (
            ["Here are some of Ohio State's most famous alumni, from authors to ..."],
            "Here are some of Ohio State's most famous alumni",
        ),
        (
            ["Lawsuits, bomb threats and a Capitol arrest: Live coverage of ..."],
            "Lawsuits, bomb threats and a Capitol arrest",
        ),
        (
            ["Hospitals in the US are the fullest they've been throughout the ..."],
            "Hospitals in the US are the fullest they've been",
        ),
        (["How much to tip at restaurants | USA TODAY"], "How much to tip at restaurants?"),
        # A title that states its news, then asks, is told by its statement; a topic before a
        # colon is no statement, and a question that opens the title keeps its answer.
        (["Joann fabrics files for bankruptcy. Are Wisconsin stores closing?"], "Joann fabrics files for bankruptcy"),
        (
            ["Trump wants to stop penny production, could they soon be obsolete?"],
            "Trump wants to stop penny production",
        ),
        (
            ["TikTok ban in U.S.: What will happen to app if it is removed?"],
            "TikTok ban in U.S.: What will happen to app if it is removed?",
        ),
        (
            ["Do Americans want Trump to acquire Greenland? Half say no."],
            "Do Americans want Trump to acquire Greenland? Half say no.",
        ),
        (
            [
                "Trump wants the penny gone. How much does one cost to make?",
                "Trump orders the Mint to stop making pennies",
            ],
            "Trump orders the Mint to stop making pennies",
        ),
    ],
)
def test_headlines_are_complete_statements(titles: list[str], expected: str) -> None:
    got = headlines.choose(titles)
    assert got == expected
    assert not got.endswith(("...", "…"))


def _doc(doc_id: str, title: str, lead: list[str], url: str | None = None, source: str = "usatoday.com") -> Doc:
    meta = ArticleMeta(id=doc_id, title=title, url=url, source=source, published=dt.date(2025, 1, 29))
    return Doc(meta, [], lead, dt.datetime(2025, 1, 29), frozenset(), frozenset(), np.zeros(3))


def test_articles_that_tell_one_text_count_once_in_coverage() -> None:
    """A republication (one wire story under another title) and a sender's variations of random
    words bring almost no new words: coverage counts each text once (their outlets still count)."""
    wire = "The council approved the harbour budget on Monday after a long debate over ferry fares and repairs."
    leads = [
        wire,
        wire.replace("on Monday", "late on Monday"),  # republished
        "Ferry fares will rise in spring, the operator said, blaming fuel costs and the harbour repairs.",
        "Storm damage closed the river bridge overnight and police diverted traffic through the city centre.",
    ]
    docs = [_doc(f"d{i}", "Harbour news", [lead]) for i, lead in enumerate(leads)]
    assert distinct_texts(docs) == 3 and distinct_texts(docs[:2]) == 1 and distinct_texts(docs[2:]) == 2
    story = Story(docs)
    assess(story)
    assert story.reasons[0].startswith("4 articles (3 distinct) from 1 outlet (+1.19)")


def test_a_deadly_crash_outranks_more_articles_of_softer_news() -> None:
    crash = Story(
        [
            _doc(
                "c",
                "Plane, helicopter collide in DC crash; bodies recovered",
                ["WASHINGTON — A passenger jet with 64 people aboard collided with an Army helicopter."],
                "https://www.usatoday.com/story/news/nation/2025/01/29/aircraft-crash/1/",
            )
        ]
    )
    grammys = Story(
        [
            _doc(
                f"g{i}",
                f"Grammy predictions {i}",
                ["Women dominate the nominations."],
                f"https://x.example/entertainment/music/{i}",
            )
            for i in range(3)
        ]
    )
    for s in (crash, grammys):
        s.headline = headlines.choose([d.meta.title for d in s.docs])
    assert rank([grammys, crash]) == [crash, grammys]
    assert any("casualties" in r for r in crash.reasons) and any("dateline" in r for r in crash.reasons)
    assert any("soft-news section" in r for r in grammys.reasons)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://www.usatoday.com/story/news/politics/elections/2025/01/14/cuba-terror-list/1/", "hard"),
        ("https://www.usatoday.com/story/news/local/indian-river-county/2024/10/02/jetty-repair/1/", "local"),
        ("https://www.usatoday.com/story/news/state/2025/01/14/starbucks-policy/1/", "local"),
        ("https://www.usatoday.com/story/entertainment/music/2025/02/03/grammys/1/", "soft"),
        ("https://www.usatoday.com/story/opinion/2025/02/18/delta-crash/1/", "opinion"),
        ("https://example.com/2025/02/18/a-story", "unknown"),
        ("https://www.usatoday.com/story/money/business/2025/04/07/tariff-related-costs/1/", "business"),
        ("https://www.cnn.com/2022/09/14/investing/global-markets-reaction/index.html", "business"),
        ("https://www.cnn.com/2022/03/06/europe/ukraine-russia-invasion-sunday-intl-hnk/index.html", "hard"),
    ],
)
def test_a_local_desk_ranks_between_the_national_desks_and_the_rest(url: str, kind: str) -> None:
    meta = ArticleMeta(id="a", title="A story", url=url, published=dt.date(2025, 1, 14))
    assert news.section_kind(meta)[0] == kind


def test_the_same_story_from_a_national_desk_outranks_it_from_a_local_one() -> None:
    lead = ["The county commission approved the plan on Tuesday, officials said."]
    national = Story([_doc("n", "Plan approved", lead, "https://x.example/story/news/nation/2025/1/")])
    local = Story([_doc("l", "Plan approved too", lead, "https://x.example/story/news/local/2025/1/")])
    for s in (national, local):
        s.headline = s.docs[0].meta.title
    assert rank([local, national]) == [national, local]
    assert any(r.startswith("local desk: news/local") for r in local.reasons), local.reasons


@pytest.mark.parametrize(
    ("lead", "signal"),
    [
        (
            "Vice President Kamala Harris conceded the election on Wednesday.",
            "an election decided: 'conceded the election'",
        ),
        ("Morse conceded defeat to Bolduc in the Senate primary.", "an election decided: 'conceded defeat'"),
        (
            "Donald Trump won the presidency, The Associated Press projected.",
            "an election decided: 'won the presidency'",
        ),
        ("A power outage left millions of people in Chile without electricity.", "casualties, disaster or war"),
        ("Stablecoins became a priority after Trump's election win in November.", None),
        ("Some shoppers plan an economic blackout on Friday to protest prices.", None),
        ("Trump, who won the election in November, signed the order on Monday.", None),
        ("The company conceded it had misled investors about its sales.", None),
        ("The mayor said the city was without power to stop the strike.", None),
    ],
)
def test_an_election_decided_and_a_power_outage_are_hard_news(lead: str, signal: str | None) -> None:
    story = Story([_doc("a", "A story", [lead], "https://x.example/story/news/nation/2025/1/")])
    story.headline = "A story"
    rank([story])
    hard = [r for r in story.reasons if r.startswith(("an election decided", "casualties"))]
    if signal:
        assert len(hard) == 1 and hard[0].startswith(signal), story.reasons
    else:
        assert hard == [], story.reasons


@pytest.mark.parametrize(
    ("title", "roundup"),
    [
        ("Starliner, space, NASA, Trump, deportations, weather, tornado ...", True),
        ("5 things to know for Nov. 30: Rail strike, Jan. 6, Marriage bill, China ...", True),
        ("SAG Awards, Pope Francis, Ukraine war, Elon Musk: Daily Briefing", True),
        ("Start your week smart: Ukraine, Tornado, Gas prices, Sydney ...", True),
        ("Mixed market response after US-China deal | The Excerpt", True),
        ("Trump, Biden spar over China, economy, covid in last election debate", False),
        ("Value meals available: McDonald's, Wendy's, Taco Bell, Hardee's ...", False),
        ("Finland, happiness, saunas, NATO and the threat from Russia", False),
        ("Plane, helicopter collide in DC crash; bodies recovered", False),
    ],
)
def test_newsletter_round_ups_are_recognised_by_their_title(title: str, roundup: bool) -> None:
    assert news.is_roundup(ArticleMeta(id="r", title=title)) is roundup


def test_a_round_up_ranks_below_the_stories_it_retells_and_a_ceasefire_is_hard_news() -> None:
    url = "https://www.usatoday.com/story/news/world/2025/03/18/x/1/"
    roundup = Story(
        [
            _doc(
                "r",
                "Starliner, space, NASA, Trump, deportations, weather, tornado ...",
                ["Two astronauts are headed home.", "A tornado killed 3 people."],
                "https://www.usatoday.com/story/news/2025/03/18/starliner-trump/1/",
            )
        ]
    )
    ceasefire = Story(
        [
            _doc(
                "c",
                "After Trump-Putin call, Russia agrees to limited Ukraine ceasefire",
                ["WASHINGTON − A call between the two leaders ended with a limited agreement."],
                url,
            )
        ]
    )
    for s in (roundup, ceasefire):
        s.headline = s.docs[0].meta.title
    assert rank([roundup, ceasefire]) == [ceasefire, roundup]
    assert "round-up of several stories (-2.00)" in roundup.reasons
    assert any(r.startswith("casualties, disaster or war: 'ceasefire'") for r in ceasefire.reasons)


@pytest.mark.parametrize("dash", ["—", "–", "―", "−", "-"])
def test_a_dateline_is_found_whatever_dash_the_outlet_prints(dash: str) -> None:
    assert news.DATELINE.match(f"WASHINGTON {dash} President Joe Biden notified Congress on Tuesday.")
    assert not news.DATELINE.match(f"Washington {dash} the city {dash} was quiet on Tuesday.")


def test_ties_never_fall_back_to_the_article_id() -> None:
    a = Story([_doc("zzz", "Alpha council approves budget", ["The council approved the budget."])])
    b = Story([_doc("aaa", "Beta council approves budget", ["The council approved the budget."])])
    for s in (a, b):
        s.headline = s.docs[0].meta.title
    assert rank([b, a]) == rank([a, b]) == [a, b]  # equal value: by headline, not by id


def test_opinion_pieces_are_labelled_and_never_the_source_of_news() -> None:
    column = _doc("o", "Opinion: The council got it wrong", ["I think so."], "https://x.example/opinion/columnist/1")
    report = _doc("r", "Council approves budget", ["The council approved the budget 5-2."], "https://x.example/news/1")
    assert news.is_opinion(column.meta) and not news.is_opinion(report.meta)
    assert Story([column, report]).reporting == [report]
    assert Story([column]).opinion and not Story([column, report]).opinion


def test_news_spans_leave_out_what_is_not_news_and_stay_verbatim() -> None:
    text = (
        "Editor's note: This page reflects news of the crash. "
        "A jet collided with a helicopter over the river on Wednesday. "
        "Rescuers searched the water through the night. "
        "For the latest updates, read our live coverage. "
        "At least 12 bodies were recovered."
    )
    chunk = Chunk(id="a:0", article_id="a", position=0, start=100, end=100 + len(text), text=text)
    spans = news_spans(chunk, limit=None)
    assert [s.text for s in spans] == [
        "A jet collided with a helicopter over the river on Wednesday. Rescuers searched the water through the night.",
        "At least 12 bodies were recovered.",
    ]
    for s in spans:  # offsets still point into the article
        assert text[s.start - 100 : s.end - 100] == s.text
    assert [s.text for s in news_spans(chunk, limit=1)] == [
        "A jet collided with a helicopter over the river on Wednesday."
    ]


def test_a_dateline_dash_or_a_bullet_left_at_a_sentence_start_is_not_quoted() -> None:
    text = (
        "– \u2060New York's toll will cost drivers $9, officials said. Sign up for our newsletter.\n"
        "◾ The MTA approved it 11-1 on Monday."
    )
    chunk = Chunk(id="a:1", article_id="a", position=1, start=900, end=900 + len(text), text=text)
    spans = news_spans(chunk, limit=None)
    assert [s.text for s in spans] == [
        "New York's toll will cost drivers $9, officials said.",
        "The MTA approved it 11-1 on Monday.",
    ]
    for s in spans:  # still verbatim, offsets into the article
        assert text[s.start - 900 : s.end - 900] == s.text


def test_the_lead_is_the_summary_first_cited_sentence() -> None:
    assert (
        lead_of("A jet collided with a helicopter. [1] Rescuers searched. [2]")
        == "A jet collided with a helicopter. [1]"
    )
    assert lead_of("Two outlets agree. [1][3] More. [2]") == "Two outlets agree. [1][3]"


def test_a_teaser_printed_above_the_story_is_not_told_twice() -> None:
    text = (
        "The decision was driven by the Pentagon's policy chief and made after a review of munitions stockpiles."
        "\n\nThe Pentagon has halted shipments of some air defense missiles to Ukraine. The decision was driven "
        "by the Pentagon's policy chief and was made after a review of munitions stockpiles, people said."
    )
    chunk = Chunk(id="a:0", article_id="a", position=0, start=0, end=len(text), text=text)
    (span,) = news_spans(chunk, limit=None)
    assert span.text.startswith("The Pentagon has halted shipments") and span.text.count("The decision") == 1
    assert text[span.start : span.end] == span.text


def test_articles_that_disagree_on_a_figure_are_reported_latest_last() -> None:
    def doc(doc_id: str, lead: str, when: dt.datetime, source: str) -> Doc:
        meta = ArticleMeta(id=doc_id, title=doc_id, source=source, published=when)
        return Doc(meta, [], [lead], when, frozenset(), frozenset())

    morning = doc(
        "a",
        "A jet with 64 people aboard collided with a helicopter. 3 people were killed.",
        dt.datetime(2025, 1, 30, 8),
        "USA Today",
    )
    later = doc(
        "b",
        "All 67 people aboard died, officials said. 5 people were injured in 2025.",
        dt.datetime(2025, 1, 30, 14),
        "CNN",
    )
    (line,) = conflicts([later, morning])  # killed and injured are different facts; 2025 is a year
    assert line == (
        "Reports differ: 64 people aboard (USA Today, 2025-01-30 08:00); 67 people aboard (CNN, 2025-01-30 14:00); "
        "the latest report says 67 people aboard."
    )
    assert conflicts([morning]) == []  # one article cannot disagree with itself


@pytest.mark.parametrize(
    "line",
    [
        "A version of this story appears in CNN’s What Matters newsletter.",
        "Keep up with the USA TODAY news team for updates:",
        "Follow along for live updates and results for key national, statewide and local races:",
        "Follow election coverage here all day and live results from New Hampshire after the polls close.",
        "Play the USA TODAY Daily Crossword Puzzle.",
        "Take CNN’s weekly news quiz to see how much you remember from the week that was!",
        "If so, subscribe here.",
        "CNN Entertainment Reporter Chloe Melas (second from left) is shown with her husband and their two sons.",
        "Prince Andrew is seen in August 2017.",
        "— Recommendations are independently chosen by Reviewed’s editors.",
        "Head over to tonight's coverage of Shaun White and Mikaela Shiffrin.",
        "USA TODAY economics reporter Paul Davidson breaks down the potential impact.",
        "USA TODAY White House Correspondent Swapna Venugopal Ramaswamy talks through Trump's drug price order.",
        "As the situation continues to evolve in Vermont, here are updates and information.",
        "Sign up now.",
    ],
)
def test_newsletter_and_live_blog_furniture_is_not_news(line: str) -> None:
    assert not news.newsworthy(line)


def test_a_page_promo_above_the_dateline_is_not_part_of_the_lead() -> None:
    text = (
        "Sign up for the Sleep newsletter series. Our seven-part guide has helpful hints to sleep better.\n\n"
        "CNN —\n\n"
        "Walk your baby for a minimum of five minutes, according to the study."
    )
    chunk = Chunk(id="a:0", article_id="a", position=0, start=0, end=len(text), text=text)
    assert [s.text for s in news_spans(chunk, limit=None)] == [
        "Walk your baby for a minimum of five minutes, according to the study."
    ]


def test_scene_setting_at_the_top_is_skipped_until_someone_acts() -> None:
    text = (
        "It is every parent's nightmare: an exhausted baby who just won't stop crying. Even worse? "
        "The baby wakes again when laid in the crib. "
        "Researchers in Japan found that walking with a baby for five minutes calms it. "
        "Parents were relieved."
    )
    chunk = Chunk(id="a:0", article_id="a", position=0, start=0, end=len(text), text=text)
    (span,) = news_spans(chunk, limit=None)
    assert (
        span.text
        == "Researchers in Japan found that walking with a baby for five minutes calms it. Parents were relieved."
    )
    # Past the top of the article, a sentence without an actor is just a sentence.
    later = chunk.model_copy(update={"start": 900, "end": 900 + len(text)})
    assert news_spans(later, limit=None)[0].text.startswith("The baby wakes again")


@pytest.mark.parametrize(
    "hook",
    [
        "WASHINGTON – Welcome to Confirmapalooza.",  # too short to tell an event
        "America and Greenland share a continent.",
        "Unless you’re buying when you're in a Starbucks, you’d better be prepared to move along.",  # to the reader
    ],
)
def test_a_hook_at_the_top_does_not_lead(hook: str) -> None:
    text = f"{hook} Senate committees questioned six of Trump's appointees on Wednesday. Bondi was grilled."
    chunk = Chunk(id="a:0", article_id="a", position=0, start=0, end=len(text), text=text)
    assert news_spans(chunk, limit=None)[0].text.startswith("Senate committees questioned")
    # Further down the article it is an ordinary sentence; a short one with a figure is news.
    later = chunk.model_copy(update={"start": 900, "end": 900 + len(text)})
    assert news_spans(later, limit=None)[0].text.startswith(hook)
    assert not news.hooks_the_reader("The measure was defeated, 192-154.")
    assert not news.hooks_the_reader("Walk your baby for a minimum of five minutes, the study found.")
    assert not news.hooks_the_reader("Changing what you eat could add 13 years to your life, according to a study.")


def test_a_sentence_whose_subject_is_in_the_one_before_does_not_open_a_lead() -> None:
    text = "Scoot over, Facebook. Its users have grown by 315% this year. BeReal is a photo app launched in 2020."
    chunk = Chunk(id="a:0", article_id="a", position=0, start=0, end=len(text), text=text)
    assert news_spans(chunk, limit=None)[0].text == "BeReal is a photo app launched in 2020."
    # Nor does a clause that opens on a pronoun; an idiom is no reference.
    text = (
        "Scoot over, Facebook. If it fails to sell by Jan. 19, TikTok will be banned. "
        "The court hears the case on Friday, before the ban."
    )
    chunk = chunk.model_copy(update={"text": text, "end": len(text)})
    assert news_spans(chunk, limit=None)[0].text == "The court hears the case on Friday, before the ban."
    assert not CLAUSE_ANAPHOR.match("When it comes to homes, an ice dam is a ridge of ice.")


def test_the_blurb_of_a_link_is_not_a_fact_of_the_story() -> None:
    text = (
        "The committee concluded that the former president was responsible for the attack. "
        "The full report was published December 22, 2021. Read here. "
        "It recommends criminal charges."
    )
    chunk = Chunk(id="a:0", article_id="a", position=0, start=500, end=500 + len(text), text=text)
    assert "published" not in " ".join(s.text for s in news_spans(chunk, limit=None))


def test_a_quote_the_engine_stopped_early_is_completed_from_the_source_it_cites() -> None:
    text = (
        "The Pentagon has halted shipments of some munitions to Ukraine due to worries that stockpiles "
        "have fallen too low. The decision was made by the Pentagon's policy chief."
    )
    meta = ArticleMeta(id="p", title="Pentagon halts munitions", published=dt.date(2025, 7, 1))
    chunk = Chunk(id="p:0", article_id="p", position=0, start=0, end=len(text), text=text)
    sources = number_sources([Hit(chunk=chunk, article=meta, score=1.0)])
    cut = DraftSentence(text="The Pentagon has halted shipments of some munitions to Ukraine due", cites=[1])
    whole = completed(cut, sources)
    assert whole.text == text[: text.index(" The decision")] and whole.quotes == {1: whole.text}
    # Too little of the sentence to stand for it, or a source it does not cite: left as written
    # (and so left out, since it is not a whole sentence).
    assert completed(DraftSentence(text="The decision was made", cites=[1]), sources).text == "The decision was made"
    assert completed(cut.model_copy(update={"cites": [2]}), sources) == cut.model_copy(update={"cites": [2]})
    assert completed(whole, sources) == whole


@pytest.mark.parametrize(
    ("lead", "score"),
    [
        ("WASHINGTON — President Donald Trump said Friday he will impose tariffs.", 2),
        ("Two people are dead after two small planes collided Wednesday morning.", 1),
        ("Biden declared Jan. 9 a national day of mourning.", 1),
        ("The crash marks the second fatal midair crash in the U.S. this year.", 0),
        ("Shares declined 5% after the company told USA TODAY it would close stores.", 0),  # no month, no day
        ("Sales in December 2024 rose.", 0),
    ],
)
def test_a_lead_reports_an_event_when_it_is_filed_from_the_scene_or_names_the_day(lead: str, score: int) -> None:
    assert news.reports_event(lead) == score


def _source(n: int, article_id: str, title: str, text: str) -> Source:
    chunk = Chunk(id=f"{article_id}:0", article_id=article_id, position=0, start=0, end=len(text), text=text)
    return Source(n=n, hit=Hit(chunk=chunk, article=ArticleMeta(id=article_id, title=title), score=1.0))


def test_the_summary_opens_with_the_lead_that_reports_the_event() -> None:
    sources = [  # the most central article first, as sources_for orders them
        _source(1, "tally", "Plane crashes in 2025", "The crash marks the second fatal crash this year. It was windy."),
        _source(2, "other", "Another crash report", "A jet crashed on Monday. Nobody was hurt."),
        _source(
            3,
            "marana",
            "Marana plane crash: 2 dead",
            "Two died when two planes collided Wednesday. Police came.",
        ),
    ]
    draft = Draft(
        sentences=[
            DraftSentence(text="The crash marks the second fatal crash this year.", cites=[1]),
            DraftSentence(text="It was windy.", cites=[1]),
            DraftSentence(text="Police came.", cites=[3]),
        ],
        engine="extractive",
    )
    # Two leads name a day: the one the headline was taken from opens, and the summary stays full.
    led = lead_first(draft, sources, most=3, headline="Marana plane crash: 2 dead")
    assert [s.text for s in led.sentences] == [
        "Two died when two planes collided Wednesday.",
        "The crash marks the second fatal crash this year.",
        "It was windy.",
    ]
    assert led.sentences[0].cites == [3]
    # Without that headline, the most central of the two.
    assert lead_first(draft, sources, most=3).sentences[0].text == "A jet crashed on Monday."
    # No lead names a day or a dateline: the engine's order stands.
    assert lead_first(draft, sources[:1], most=3).sentences == draft.sentences


def test_a_gallery_is_a_format_and_the_desk_beside_it_says_what_the_story_is() -> None:
    gallery = ArticleMeta(id="g", title="Russia invades Ukraine", url="https://www.cnn.com/2022/02/14/world/gallery/x")
    assert news.section_kind(gallery) == ("hard", "world")


def test_casualties_count_from_titles_and_first_sentences_not_from_background() -> None:
    lead = [
        "WASHINGTON — President Donald Trump ordered a migrant detention center at Guantanamo Bay on Wednesday.",
        "The base has long held suspects accused in the 9/11 terrorist attacks.",
    ]
    url = "https://x.example/story/news/politics/2025/1/"
    background = Story([_doc("g", "Trump orders Guantanamo Bay to house migrants", lead, url)])
    told = Story([_doc("c", "Plane, helicopter collide in DC crash", lead, url)])
    rank([background, told])
    assert not any(r.startswith("casualties") for r in background.reasons), background.reasons
    assert any(r.startswith("casualties, disaster or war: 'crash'") for r in told.reasons), told.reasons


@pytest.mark.parametrize(
    ("line", "year", "news_of_the_day"),
    [
        ("In 2011, a tsunami with waves up to 40 meters struck the coast.", 2025, False),
        ("The 2004 quake killed more than 200,000 people.", 2025, False),
        # Today's news with its background in a clause, a coming year, or a day named: kept.
        ("The FDA acted after advocates filed a petition in 2022, officials said.", 2025, True),
        ("In 2027, manufacturers must stop using the dye.", 2025, True),
        ("In 2024 dollars, the package costs $3 billion, the senator said on Tuesday.", 2025, True),
        ("In 2011, a tsunami with waves up to 40 meters struck the coast.", None, True),  # no year known
    ],
)
def test_background_from_an_earlier_year_is_not_stated_as_the_day_news(
    line: str, year: int | None, news_of_the_day: bool
) -> None:
    assert news.newsworthy(line, year) is news_of_the_day


def test_a_quote_that_names_its_speaker_is_news() -> None:
    assert news.newsworthy('"We will rebuild," the mayor said.')
    assert news.newsworthy('According to the mayor, "we will rebuild every house."')


def test_the_outcome_leads_rather_than_a_preview_or_a_reaction() -> None:
    sources = [
        _source(
            1, "preview", "Election night in Ohio", "Voting in the race will culminate Tuesday night. Polls close."
        ),
        _source(2, "reaction", "Senator slams suspension", "Sen. Jane Roe slammed the suspension on Monday. More."),
        _source(3, "report", "Mayor suspended", "The city council suspended Mayor John Doe on Monday. He denies it."),
    ]
    draft = Draft(sentences=[DraftSentence(text="Polls close.", cites=[1])], engine="extractive")
    led = lead_first(draft, sources, most=3)
    assert led.sentences[0].text == "The city council suspended Mayor John Doe on Monday."
    # With only a preview that names the day, it still opens: something must.
    assert (
        lead_first(draft, sources[:1], most=3).sentences[0].text == "Voting in the race will culminate Tuesday night."
    )


def test_an_outcome_that_names_no_day_still_leads_before_a_preview_that_does() -> None:
    sources = [
        _source(1, "venue", "Why are Eagles home team?", "Super Bowl 59 may be a neutral venue on Sunday. More."),
        _source(
            2, "result", "Who won Super Bowl 59? Score as Eagles beat ...", "The Eagles defeated the Chiefs 40-22. Wow."
        ),
    ]
    draft = Draft(sentences=[DraftSentence(text="More.", cites=[1])], engine="extractive")
    assert lead_first(draft, sources, most=3).sentences[0].text == "The Eagles defeated the Chiefs 40-22."
    # "Has talked about" is the state of things, not an outcome.
    assert not news.tells_outcome("Trump has talked about using tariffs to offset the revenue.")
    # The preview stays the lead where no article tells an outcome.
    assert lead_first(draft, sources[:1], most=3).sentences[0].text == "Super Bowl 59 may be a neutral venue on Sunday."


@pytest.mark.parametrize(
    ("title", "lead", "headline"),
    [
        (
            "Who won Super Bowl 59? Score, stats, highlights as Eagles beat ...",
            "The Philadelphia Eagles demolished the Kansas City Chiefs in Super Bowl 59 40-22 – closer than it was.",
            "The Philadelphia Eagles demolished the Kansas City Chiefs in Super Bowl 59 40-22",
        ),
        # A lead about something else, one that looks ahead, or one too long to be a headline: no answer.
        (
            "When is the VP debate between Vance, Walz?",
            "The first debate between Trump and Harris took place in Philadelphia earlier this month.",
            None,
        ),
        ("Who will win Super Bowl 59?", "The Eagles will face the Chiefs in Super Bowl 59 on Sunday.", None),
        (
            "Who won Super Bowl 59?",
            "The Philadelphia Eagles beat the Kansas City Chiefs in Super Bowl 59 on Sunday night in New Orleans "
            "before a crowd of 70,000 fans and the president.",
            None,
        ),
        ("Eagles beat Chiefs in Super Bowl 59", "The Eagles beat the Chiefs in Super Bowl 59.", None),  # no question
    ],
)
def test_a_question_headline_is_stated_by_the_lead_that_answers_it(title: str, lead: str, headline: str | None) -> None:
    assert headlines.answered(title, lead) == headline


def test_a_preview_of_what_the_lead_reports_as_done_is_dropped() -> None:
    sources = [
        _source(1, "report", "Biden bids farewell", "President Joe Biden bid goodbye Wednesday night. He spoke."),
        _source(2, "preview", "Biden to speak", "President Joe Biden will give his farewell address Wednesday. More."),
    ]
    draft = Draft(
        sentences=[
            DraftSentence(text="President Joe Biden will give his farewell address Wednesday.", cites=[2]),
            DraftSentence(text="A memorial is set to take place on Jan. 20.", cites=[2]),
            DraftSentence(text="President Joe Biden bid goodbye Wednesday night.", cites=[1]),
        ],
        engine="extractive",
    )
    led = lead_first(draft, sources, most=3)
    # The preview of Wednesday's address goes; a preview of another day is news still.
    assert [s.text for s in led.sentences] == [
        "President Joe Biden bid goodbye Wednesday night.",
        "A memorial is set to take place on Jan. 20.",
    ]
    # A lead that itself previews, or states a fact of the calendar, makes nothing stale.
    assert not news.stale_preview("The vote will be held Tuesday.", "Polls will close Tuesday night.")
    assert not news.stale_preview(
        "Federal offices will be closed Monday.", "Monday, Jan. 20, is MLK Day, which honors King."
    )


def test_a_sentence_naming_the_day_sets_no_scene() -> None:
    assert news.sets_a_scene("It is every parent's nightmare.", frozenset())
    assert not news.sets_a_scene("Federal and state offices will be closed or suspended Monday.", frozenset())


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "FDA bans Red No. 3 food dye in food, drinks: Here's what to know",
            "FDA bans Red No. 3 food dye in food, drinks",
        ),
        (
            "Jeff Flake endorses Kamala Harris for president: Here's why",
            "Jeff Flake endorses Kamala Harris for president",
        ),
        (
            "Spy balloon flew over missile sites, Intelligence chair says: recap",
            "Spy balloon flew over missile sites, Intelligence chair says",
        ),
        ("Big Lots stores closing: See full list of 344 shuttering locations", "Big Lots stores closing"),
        (
            "2024 Texas general election live updates: See unofficial results.",
            "2024 Texas general election live updates",
        ),
        ("JFK files have been released: Here's what they say about ...", "JFK files have been released"),
        ("Trump slaps tariffs on China, Canada. Here's how that works", "Trump slaps tariffs on China, Canada"),
        # A second sentence that turns to the reader is the page's offer, and so is a label before
        # the title ("First on CNN:").
        ("Trump announces 25% auto tariffs. What it means for car buyers", "Trump announces 25% auto tariffs"),
        ("Tax season 2025 starts Jan 27. File now for one of the first refunds.", "Tax season 2025 starts Jan 27"),
        (
            "Kohl's shutting down 27 'underperforming' stores; see list of closures",
            "Kohl's shutting down 27 'underperforming' stores",
        ),
        (
            "Waffle House adds a surcharge for eggs. What to know about the cost",
            "Waffle House adds a surcharge for eggs",
        ),
        (
            "FIRST ON CNN: January 6 committee considers criminal referrals",
            "January 6 committee considers criminal referrals",
        ),
        # A second sentence that goes on with the news stays; so does a question's answer.
        (
            "Another World Series hangover. Rangers fail to repeat",
            "Another World Series hangover. Rangers fail to repeat",
        ),
        (
            "What to do with the penny now that it's no longer made",
            "What to do with the penny now that it's no longer made",
        ),
        # The label stays where the title would be a question or too short without it.
        (
            "Will they ban TikTok in the US? What to know before January deadline",
            "Will they ban TikTok in the US? What to know before January deadline",
        ),
        ("Eclipse: What to know", "Eclipse: What to know"),
    ],
)
def test_a_trailing_page_label_is_not_part_of_the_headline(title: str, expected: str) -> None:
    assert headlines.choose([title]) == expected


def test_a_straight_title_of_the_story_beats_one_that_asks() -> None:
    titles = [
        "Will Donald Trump pardon January 6 Capitol rioters? What he has said",  # the most central
        "Congress certifies Trump's 2024 victory on Jan. 6: Recap",
    ]
    assert headlines.choose(titles) == "Congress certifies Trump's 2024 victory on Jan. 6"


def test_a_disaster_filed_by_a_soft_desk_is_not_soft_news() -> None:
    crash = Story(
        [
            _doc(
                "t",
                "Toronto crash survivor on evacuation",
                ["A Delta jet flipped on landing in Toronto on Monday, injuring 21 people."],
                "https://www.usatoday.com/story/travel/news/2025/02/18/delta-plane-crash-toronto-airport/1/",
            )
        ]
    )
    review = Story(
        [_doc("r", "Ski resort review", ["The slopes were busy on Monday."], "https://x.example/travel/news/2/")]
    )
    for s in (crash, review):
        s.headline = headlines.choose([d.meta.title for d in s.docs])
    rank([review, crash])
    assert not any("soft-news section" in r for r in crash.reasons), crash.reasons
    assert any("soft-news section" in r for r in review.reasons)


def test_the_economy_moving_is_news_and_a_story_of_it_outranks_a_feature() -> None:
    def story(title: str, lead: str, url: str) -> Story:
        s = Story([_doc(title[:8], title, [lead], url)])
        s.headline = title
        return s

    markets = story(
        "Markets steady after worst day for US stocks since June 2020",
        "Global markets steadied on Wednesday after stocks had their worst day in two years.",
        "https://www.cnn.com/2022/09/14/investing/global-markets-reaction/index.html",
    )
    feature = story(
        "Eating seasonally and locally could benefit the environment",
        "Eating food grown nearby may cut emissions, researchers say.",
        "https://www.cnn.com/2022/09/14/health/eating-seasonally-wellness/index.html",
    )
    assert rank([feature, markets]) == [markets, feature]
    assert any(r.startswith("the economy: 'stocks'") for r in markets.reasons), markets.reasons
    assert any(r.startswith("business desk: investing") for r in markets.reasons), markets.reasons


@pytest.mark.parametrize(
    ("title", "url", "kind"),
    [
        ("5 things to know for Jan. 29: Plane crash, Fed, RFK Jr.", None, "roundup"),
        ("Grammy predictions: Who will win album of the year", None, "service"),
        ("Here are some of Ohio State's most famous alumni", None, "service"),  # listicles
        ("8 new Indigenous shows and films to stream now", None, "service"),
        ("Here are the companies pulling back from Russia | CNN Business", None, "news"),  # a list that is news
        (
            "Biden lectures on 'oligarchy'",
            "https://www.usatoday.com/story/opinion/columnist/2025/01/16/x/1/",
            "opinion",
        ),
        # An explainer of the day's event is told in full, ranked like any story.
        ("TikTok ban: What to know after Supreme Court's decision", None, "news"),
    ],
)
def test_round_ups_service_pieces_and_columns_are_links_not_stories(title: str, url: str | None, kind: str) -> None:
    from qa.briefing.service import aside_kind

    assert aside_kind(Story([_doc("a", title, ["Something happened on Monday."], url)])) == kind


def test_an_ai_assisted_summary_box_is_not_the_outlet_reporting() -> None:
    text = (
        "AI-assisted summary In his farewell address, President Biden warned of an oligarchy.\n\n"
        "Biden believes this concentration of power poses significant risks if left unchecked.\n\n"
        'The term "oligarchy" has been used to describe powerful Russian business leaders.\n\n'
        "In a primetime farewell address Wednesday, President Joe Biden warned Americans that an oligarchy "
        "is on the rise.\n\nHe spoke from the Oval Office."
    )
    chunk = Chunk(id="b:0", article_id="b", position=0, start=0, end=len(text), text=text)
    spans = [s.text for s in news_spans(chunk, 4)]
    assert spans[0].startswith("In a primetime farewell address Wednesday")
    assert not any("concentration of power" in s or "Russian business" in s for s in spans)


@pytest.mark.parametrize(
    ("lead", "signal"),
    [
        (
            "The measles outbreak in West Texas grew to 159 cases on Thursday.",
            "casualties, disaster or war: 'outbreak'",
        ),
        ("The VA will lay off at least 76,000 employees, a memo says.", "the economy: 'lay off'"),
        ("Stocks fell sharply on Tuesday after the inflation report.", "the economy: 'Stocks'"),
        ("Tariffs on steel took effect on Wednesday.", "the economy: 'Tariffs'"),
        ("Drivers got a phishing attack by text on Monday.", None),
        ("The band played its greatest hits on Saturday.", None),
    ],
)
def test_an_outbreak_is_a_disaster_and_the_economy_moving_is_news(lead: str, signal: str | None) -> None:
    story = Story([_doc("a", "A story", [lead], "https://x.example/story/news/nation/2025/1/")])
    story.headline = "A story"
    rank([story])
    hard = [r for r in story.reasons if r.startswith(("the economy", "casualties"))]
    assert hard == ([f"{signal} (+{0.75 if 'economy' in signal else 1.25:.2f})"] if signal else []), story.reasons


def test_a_figurative_flood_is_no_disaster() -> None:
    assert not news.CASUALTIES.search("Fake eclipse glasses are flooding online stores")
    assert not news.CASUALTIES.search("AI junk floods the internet")
    assert news.CASUALTIES.search("Flooding swamped roads across Texas on Tuesday")


def test_lead_style_model_loads_and_reads_a_report_above_an_anecdote(minilm: Embedder) -> None:
    scores = lead_style(
        minilm,
        [
            "President Donald Trump issued a travel ban that will bar foreign nationals from nearly 20 countries.",
            "Beau Boeckmann stood outside his dealership staring at a thick cloud of smoke.",
            "In addition, 10 other nominees were also named.",
        ],
    )
    assert scores is not None and scores.shape == (3,)
    assert scores[0] > scores[1] and scores[0] > scores[2]
    # Fitted on MiniLM's vectors: another embedder gets no score, and briefings keep their order.
    assert lead_style(HashingEmbedder(), ["A jet crashed."]) is None


def test_lead_style_reads_no_day_or_dateline() -> None:
    told = "WASHINGTON (AP) — President Trump signed an order on Tuesday, Jan. 21, imposing tariffs."
    assert masked(told) == "President Trump signed an order, imposing tariffs."
    assert masked("The NFL decided Tuesday to delay a ban.") == "The NFL decided to delay a ban."


def test_a_feature_opens_on_its_report_sentence_when_no_lead_reports_the_event(minilm: Embedder) -> None:
    scene = "Beau Boeckmann stood outside his dealership last week staring at a thick cloud of smoke."
    report = "President Donald Trump issued a travel ban that will bar foreign nationals from nearly 20 countries."
    sources = [_source(1, "feature", "Travel ban", f"{scene} {report}")]
    sources[0].hit.article.published = dt.date(2025, 6, 5)
    draft = Draft(
        sentences=[DraftSentence(text=scene, cites=[1]), DraftSentence(text=report, cites=[1])],
        engine="extractive",
    )
    assert [s.text for s in lead_first(draft, sources, most=3, embedder=minilm).sentences] == [report, scene]
    # Without the embedder (or with one the model was not fitted on), the engine's order stands.
    assert lead_first(draft, sources, most=3).sentences == draft.sentences
    assert lead_first(draft, sources, most=3, embedder=HashingEmbedder()).sentences == draft.sentences
    # A sentence that refers back, or states background from before its article's year, stays put.
    for later in (
        "The president issued a travel ban that will bar foreign nationals from nearly 20 countries.",
        "President Donald Trump issued a travel ban in 2017 that barred foreign nationals from seven countries.",
    ):
        again = draft.model_copy(update={"sentences": [draft.sentences[0], DraftSentence(text=later, cites=[1])]})
        assert lead_first(again, sources, most=3, embedder=minilm).sentences[0].text == scene
