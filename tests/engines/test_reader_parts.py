"""The reader's parts, each on its own: short answers, features, the ranker file, candidates."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.engines.base import number_sources
from qa.engines.extractive.candidates import build_candidates
from qa.engines.extractive.features import (
    CHEAP,
    FULL,
    WITH_CROSS,
    cheap_features,
    second_stage,
    signals_needed,
    with_similarity,
)
from qa.engines.extractive.places import places
from qa.engines.extractive.question import Ask, classify, fits, read_question
from qa.engines.extractive.ranker import WEIGHTS, ReaderModel
from qa.engines.extractive.sentences import passage_sentences
from qa.engines.extractive.short import short_answer
from qa.ingest.chunking import chunk_article
from qa.models import Article, ArticleMeta, Hit

IZHEVSK = (
    "Meanwhile, a Ukrainian drone hit an industrial plant in Izhevsk, about 620 miles east of Moscow, "
    "killing three people and injuring 35, Alexander Brechalov, head of the Udmurtia region, said."
)
KUPOL = (
    "The drone struck the Kupol Electromechanical Plant, which produces air defense systems and drones "
    "for the Russian military, according to an official with Ukraine's Security Service, the SBU."
)


def short(question: str, *sentences: str) -> str | None:
    found = short_answer(read_question(question, []), list(sentences))
    return found[0] if found else None


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        (
            "How many drones did Russia launch at Ukraine last month?",
            "Russia last month launched 5,438 drones at Ukraine, a new monthly record.",
            "5,438 drones.",
        ),
        ("How many people were killed in Izhevsk?", IZHEVSK, "Three people."),
        ("How far from Moscow is Izhevsk?", IZHEVSK, "620 miles."),
        ("Who is the head of the Udmurtia region?", IZHEVSK, "Alexander Brechalov."),
        ("Which plant did the Ukrainian drone strike in Izhevsk?", KUPOL, "Kupol Electromechanical Plant."),
        (
            "When was Millbrook Dam completed?",
            "The dam was completed in 1958 and was last inspected in October 2023, according to state records.",
            "1958.",
        ),
        # A year is asked for, so a weekday is no answer and a full date gives its year.
        (
            "In what year was the Millbrook Dam built?",
            "Crews built the dam on a Monday, on June 2, 1958, the county said.",
            "1958.",
        ),
        ("In what year was the Millbrook Dam built?", "Residents were told to leave on Monday.", None),
        ("In which month did the strike begin?", "It began on Monday, in early March 2023.", "Early March 2023."),
        (
            "How much did each battery cost?",
            "The batteries were sold between June 2023 and January 2025 for about $650 each.",
            "$650.",
        ),
        (
            "What was Daniel Kiptoo's winning time?",
            "Kenyan runner Daniel Kiptoo won the Harbor City Marathon on "
            "Sunday in 2 hours 6 minutes 41 seconds, breaking the course record by 52 seconds.",
            None,
        ),
        (
            "How long did the race take Kiptoo?",
            "Kiptoo won in 2 hours 6 minutes 41 seconds.",
            "2 hours 6 minutes 41 seconds.",
        ),
    ],
)
def test_short_answer_is_the_value_cut_from_the_sentence(question: str, sentence: str, expected: str | None) -> None:
    got = short(question, sentence)
    assert got == expected
    if got:
        assert got[:-1].lower() in sentence.lower()  # verbatim, bar the first letter's case


@pytest.mark.parametrize(
    ("question", "sentences", "expected"),
    [
        # Of several values of the asked-for kind, the one beside the question's words, even when
        # another names the counted noun.
        ("How many people were injured in the drone attack on Izhevsk?", [IZHEVSK], "35."),
        (
            "How many drones were shot down over Crimea?",
            [
                "Russia's Defense Ministry said that 60 Ukrainian drones were downed overnight over several "
                "regions, including 17 over Crimea, 16 over the Rostov region and four over the Saratov region."
            ],
            "17.",
        ),
        # "died" is answered by "were killed", not by the troops deployed.
        (
            "How many North Korean soldiers have died fighting against Kyiv?",
            [
                "About 600 Pyongyang soldiers have been killed and thousands more wounded fighting against Kyiv "
                "after Kim deployed some 12,000 soldiers to help Russia regain control of the Kursk region."
            ],
            "600 Pyongyang soldiers.",
        ),
        (
            "When was Millbrook Dam last inspected?",
            ["The dam was completed in 1958 and was last inspected in October 2023, according to state records."],
            "October 2023.",
        ),
        # From whichever sentence of a pair states it beside the question's words.
        (
            "Who was the lead author of the glass frog study?",
            [
                "The frog is about 22 millimeters long, the team wrote in the journal Amphibia Studies.",
                "Lead author Carla Mendes of the University of Quito said the team found only 11 individuals.",
            ],
            "Carla Mendes.",
        ),
        (
            "How much did the recalled batteries cost?",
            [
                "Voltra recalled about 48,000 lithium-ion batteries sold with its City Glide e-bikes.",
                "The batteries were sold between June 2023 and January 2025 for about $650 each.",
            ],
            "$650.",
        ),
        # "Which Russian security official": a person, and "Top Russian" is no name.
        (
            "Which Russian security official visited Pyongyang twice last month?",
            ["Top Russian security official Sergei Shoigu made two visits to Pyongyang last month."],
            "Sergei Shoigu.",
        ),
        (
            "In which journal was the frog described?",
            ["The team wrote in the journal Amphibia Studies."],
            "Amphibia Studies.",
        ),
        (
            "What was the council vote on the transit budget?",
            ["The $84 million budget passed by a vote of 9-4."],
            "9-4.",
        ),
        # "Which state": a state, not the county or the country the sentence also names.
        (
            "Which state is investigating a measles outbreak?",
            ["Officials in Gaines County, Texas, said the U.S. outbreak had grown to 58 cases."],
            "Texas.",
        ),
        (
            "What country was put back on the US list of state sponsors of terrorism?",
            ["The U.S. returned Cuba to the list a week after it was removed."],
            "Cuba.",
        ),
        # Every country is listed, so a capitalised run that is none is no answer to "which country".
        (
            "The US signed a minerals deal with which country?",
            ["Officials in Washington signed it on Wednesday."],
            None,
        ),
        ("Which city hosted the summit?", ["The summit was held in Harbor City on Monday."], "Harbor City."),
        # A dateline says where the report was filed.
        (
            "Which party leads the polls?",
            ["BERLIN (Reuters) - The Christian Democrats lead the polls."],
            "Christian Democrats.",
        ),
        # No value is better than a wrong one: "did Mayor" asks for no mayor, and a figure with
        # none of the question's words near it is not offered.
        (
            "What did Mayor Louis Ferreira call the transit vote?",
            ["Mayor Louis Ferreira of Harbor City called it historic."],
            None,
        ),
        ("How many votes did the bill get?", ["Officials counted 3,000 ballots in the county."], None),
    ],
)
def test_short_answer_picks_the_value_the_question_asks_for(
    question: str, sentences: list[str], expected: str | None
) -> None:
    got = short(question, *sentences)
    assert got == expected
    if got:
        assert any(got[:-1].lower() in s.lower() for s in sentences)


def test_a_year_question_fits_only_sentences_that_state_a_year() -> None:
    q = "In what year was the Millbrook Dam built?"
    assert classify(q) == Ask("date", grain="year")
    assert classify("When was the dam built?") == Ask("date")
    assert fits(classify(q), q, "The dam was built in 1958.") == 1.0
    assert fits(classify(q), q, "Residents were told to leave on Monday.") == 0.0


def test_no_short_answer_for_open_questions_or_values_the_question_states() -> None:
    assert short("What did Keith Kellogg urge?", "Kellogg urged an immediate ceasefire.") is None
    assert short("How many of the 35 injured were workers?", "Of the 35 injured, most were workers.") is None


ARTICLE = Article(
    id="a1",
    title="Drone hits a plant in Izhevsk",
    source="Wire",
    published=date(2025, 7, 1),
    text=f"{IZHEVSK} {KUPOL} The plant's workers were evacuated, he said.",
)


def sources(article: Article = ARTICLE) -> list:
    return number_sources(
        [Hit(chunk=c, article=ArticleMeta.of(article), score=1.0, dense_rank=1) for c in chunk_article(article)]
    )


def test_candidates_are_sentences_and_pairs_that_read_on() -> None:
    sents = passage_sentences(sources(), 60)
    cands = build_candidates(sents)
    singles = [c for c in cands if not c.is_pair]
    assert len(singles) == len(sents) == 3
    assert any(c.is_pair and c.sentences[1].text == KUPOL for c in cands)  # "plant" links them


def test_features_have_one_named_column_each_and_are_finite() -> None:
    sents = passage_sentences(sources(), 60)
    cands = build_candidates(sents)
    q = read_question("Which plant did the drone strike in Izhevsk?", sents)
    x = cheap_features(q, sents, cands)
    assert x.shape == (len(cands), len(CHEAP))
    assert np.isfinite(x).all()
    full = with_similarity(x, np.linspace(0, 1, len(cands)))
    assert full.shape == (len(cands), len(FULL))
    assert full[:, FULL.index("similarity_gap")].min() == 0.0
    cross = second_stage(WITH_CROSS, x, {"cross": np.linspace(-2, 2, len(cands))})
    assert cross[:, WITH_CROSS.index("cross_gap")].min() == 0.0
    assert signals_needed(FULL) == ("similarity",) and signals_needed(WITH_CROSS) == ("cross",)
    with pytest.raises(ValueError, match="cheap"):
        second_stage(("cross",), x, {"cross": np.zeros(len(cands))})


def test_shipped_weights_match_the_features_and_calibrate_monotonically() -> None:
    raw = json.loads(WEIGHTS.read_text())
    assert raw["stage1"]["features"] == list(CHEAP)
    assert raw["stage2"]["features"] == list(FULL)
    model = ReaderModel.load()
    conf = [model.confidence(z) for z in np.linspace(-8, 8, 33)]
    assert conf == sorted(conf)
    assert 0.0 <= conf[0] <= conf[-1] <= 1.0
    assert 0.0 < model.default_min_confidence < 1.0


def test_a_model_of_the_wrong_shape_is_refused() -> None:
    raw = json.loads(WEIGHTS.read_text())
    raw["stage1"]["coef"] = raw["stage1"]["coef"][:-1]
    model = ReaderModel.from_dict(raw)
    with pytest.raises(ValueError, match="features"):
        model.stage1.logits(np.zeros((2, len(CHEAP))))


def test_places_are_found_by_type_and_the_longest_name_wins() -> None:
    text = "Cases in New Mexico and Texas rose, New York City said; the U.S. and Bosnia and Herzegovina agreed."

    def found(kind: str) -> list[str]:
        return [text[a:b] for a, b in places(text, kind)]

    assert found("state") == ["New Mexico", "Texas"]
    assert found("country") == ["U.S.", "Bosnia and Herzegovina"]  # no "Mexico" inside New Mexico
    assert found("city") == ["New York City"]
    assert classify("Which US state was struck by 32 tornadoes?").place == "state"
    assert classify("Where did the tornado hit?").place is None
    # Asked for at the end of the question, as quiz questions do.
    assert classify("The UK opened its first legal drugs consumption room in which city?") == Ask("place", place="city")


_WORDS = [
    "Who",
    "Which",
    "What",
    "How",
    "many",
    "much",
    "state",
    "country",
    "city",
    "official",
    "killed",
    "injured",
    "Texas",
    "U.S.",
    "New",
    "Mexico",
    "York",
    "City",
    "Kupol",
    "Plant",
    "plant",
    "drones",
    "35",
    "5,438",
    "$650",
    "1958",
    "October",
    "2023",
    "percent",
    "people",
    "the",
    "of",
    "in",
    "and",
    ",",
    ".",
    "’s",
    "Sergei",
    "Shoigu",
]


@settings(max_examples=300, deadline=None)
@given(
    question=st.lists(st.sampled_from(_WORDS), min_size=1, max_size=12).map(" ".join),
    sentences=st.lists(
        st.lists(st.sampled_from(_WORDS), min_size=1, max_size=25).map(" ".join), min_size=1, max_size=2
    ),
)
def test_a_short_answer_is_always_cut_verbatim_from_its_sentence(question: str, sentences: list[str]) -> None:
    found = short_answer(read_question(question + "?", []), sentences)
    if found:
        value, i = found
        assert value.endswith(".") and len(value) > 1
        assert value[:-1].lower() in sentences[i].lower()


def test_a_pair_shows_the_sentence_that_answers_first_unless_it_leans_on_the_other() -> None:
    from qa.engines.extractive.engine import answer_first

    vote = "The Harbor City council voted 9-4 on Monday night to approve an $84 million transit budget."
    mayor = "Mayor Louis Ferreira called the vote a turning point for commuters."
    leaning = "He called the vote a turning point for commuters."
    q = "What did Mayor Louis Ferreira call the transit vote?"

    def order(first: str, second: str, value_at: int | None = None) -> list[str]:
        sents = passage_sentences(sources(ARTICLE.model_copy(update={"text": f"{first} {second}"})), 10)
        return [s.text for s in answer_first(read_question(q, sents), sents, value_at)]

    assert order(vote, mayor) == [mayor, vote]
    assert order(vote, leaning) == [vote, leaning]  # "He" needs the sentence before it
    assert order(mayor, vote) == [mayor, vote]
    assert order(vote, mayor, value_at=0) == [vote, mayor]  # the value's sentence first
    # Under a value, the other sentence only if it adds a word of the question.
    assert order("Commuters cheered on Monday night.", mayor, value_at=1) == [mayor]


class _Counting:
    """Stands in for the embedder or the cross-encoder and counts what reaches it."""

    def __init__(self) -> None:
        self.calls = 0
        self.dim, self.model_id = 8, "counting"

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        return np.eye(8, dtype=np.float32)[[i % 8 for i in range(len(texts))]]

    def score(self, question: str, sentences: list[str]) -> np.ndarray:
        self.calls += 1
        return np.arange(len(sentences), dtype=np.float64)


@pytest.mark.parametrize("signal", ["similarity", "cross"])
def test_stage_two_runs_only_the_model_its_weights_name(signal: str) -> None:
    from qa.engines.extractive import ExtractiveEngine

    raw = json.loads(WEIGHTS.read_text())
    raw["stage2"] = {
        "features": [*CHEAP, signal, f"{signal}_gap"],
        "coef": [0.0] * len(CHEAP) + [1.0, 0.0],
        "intercept": 0,
    }
    embedder, cross = _Counting(), _Counting()
    engine = ExtractiveEngine(embedder, model=ReaderModel.from_dict(raw), cross_encoder=cross)  # type: ignore[arg-type]
    draft = engine.answer("Which plant did the drone strike in Izhevsk?", sources())
    assert not draft.abstained
    used, idle = (embedder, cross) if signal == "similarity" else (cross, embedder)
    assert used.calls == 1 and idle.calls == 0
