"""Sentence splitting, which every citation and summary leans on."""

from __future__ import annotations

from qa.text import split_sentences


def test_titles_and_abbreviations_do_not_end_a_sentence() -> None:
    text = (
        "The unit was led by Gen. John Smith, officials said. "
        "He met Gov. Ron DeSantis and Rep. Jim Jordan on Jan. 5. It rained."
    )
    assert split_sentences(text) == [
        "The unit was led by Gen. John Smith, officials said.",
        "He met Gov. Ron DeSantis and Rep. Jim Jordan on Jan. 5.",
        "It rained.",
    ]


def test_questions_and_quotes_end_sentences() -> None:
    assert split_sentences('Why now? "Because we must," she said. Done!') == [
        "Why now?",
        '"Because we must," she said.',
        "Done!",
    ]
