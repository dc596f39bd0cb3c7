"""Sentence splitting, which every citation and summary leans on."""

from __future__ import annotations

from qa.text import sentence_spans, split_sentences


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


def test_summaries_never_end_a_sentence_before_a_lower_case_word() -> None:
    text = "A jet and a helicopter collided in Washington D.C. in a crash on Wednesday. Officials spoke."
    whole = [text[a:b] for a, b in sentence_spans(text, join_lowercase=True)]
    assert whole == ["A jet and a helicopter collided in Washington D.C. in a crash on Wednesday.", "Officials spoke."]
    # The reader's split, which its trained weights were fitted on, is unchanged.
    assert split_sentences(text)[0] == "A jet and a helicopter collided in Washington D.C."


def test_summaries_keep_a_rank_with_its_name() -> None:
    text = (
        "Russian Ministry of Defense spokesperson Maj. Gen. Igor Konashenkov said troops were regrouping. "
        "The contenders want to be seen in a certain light:Rep. Adam Schiff as a defender. It ended."
    )
    whole = [text[a:b] for a, b in sentence_spans(text, join_lowercase=True)]
    assert whole == [
        "Russian Ministry of Defense spokesperson Maj. Gen. Igor Konashenkov said troops were regrouping.",
        "The contenders want to be seen in a certain light:Rep. Adam Schiff as a defender.",
        "It ended.",
    ]
    assert split_sentences(text)[0] == "Russian Ministry of Defense spokesperson Maj."  # the reader's split


def summary_split(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text, join_lowercase=True)]


def test_summaries_never_cut_a_quoted_title_or_question_at_its_mark() -> None:
    show = 'Pierce was overlooked for "Pirates! The Penzance Musical" on Thursday. The show goes on.'
    assert summary_split(show) == [
        'Pierce was overlooked for "Pirates! The Penzance Musical" on Thursday.',
        "The show goes on.",
    ]
    asked = "He asked: “Who will pay? Not us.” Nobody answered."
    assert summary_split(asked) == ["He asked: “Who will pay? Not us.”", "Nobody answered."]
    # A quote stays with who said it, and a title's mark goes on in lower case.
    assert summary_split("“Stop! Don’t shoot!” he said. Then he left.") == [
        "“Stop! Don’t shoot!” he said.",
        "Then he left.",
    ]
    assert summary_split("The Jeopardy! champion won again. Fans cheered!") == [
        "The Jeopardy! champion won again.",
        "Fans cheered!",
    ]
    # A quotation that never closes on its line glues nothing together; a whole one ends normally.
    assert summary_split('He said "it is over! Then he left. Nobody stayed.') == [
        'He said "it is over!',
        "Then he left.",
        "Nobody stayed.",
    ]
    assert summary_split('Wow! "Really?" She laughed.') == ["Wow!", '"Really?"', "She laughed."]
    assert split_sentences(show)[0] == 'Pierce was overlooked for "Pirates!'  # the reader's split


def test_summaries_keep_a_quote_with_a_speaker_named_in_capitals() -> None:
    # Split at "!", the attribution alone reads as a fact with no content ("Trump said in a post Sunday.").
    post = '"Pennies cost us 2 cents. This is so wasteful!" Trump said in a post Sunday. He acted.'
    assert summary_split(post) == [
        '"Pennies cost us 2 cents.',
        'This is so wasteful!" Trump said in a post Sunday.',
        "He acted.",
    ]
    assert summary_split("“Who will pay?” Sen. Janet Petersen asked. Nobody did.") == [
        "“Who will pay?” Sen. Janet Petersen asked.",
        "Nobody did.",
    ]
    # "X" after "on" is the platform, not an initial: the sentence ends there.
    assert summary_split("He posted on X. Her fans replied. George W. Bush spoke.") == [
        "He posted on X.",
        "Her fans replied.",
        "George W. Bush spoke.",
    ]
    # A new sentence that merely starts with a name is still a new sentence.
    assert summary_split('"We won!" Trump supporters cheered. Smith said it was over.') == [
        '"We won!"',
        "Trump supporters cheered.",
        "Smith said it was over.",
    ]


def test_summaries_split_two_sentences_a_page_glued_together() -> None:
    text = "Bomb threats hit polling sites, said Donald Trump.Meanwhile a fake clip spread. Why?Nobody knew."
    assert summary_split(text) == [
        "Bomb threats hit polling sites, said Donald Trump.",
        "Meanwhile a fake clip spread.",
        "Why?",
        "Nobody knew.",
    ]
    # An address is no pair of sentences.
    assert summary_split("Visit www.HopeOnline.tv or write to Jo.Smith@gannett.com today.") == [
        "Visit www.HopeOnline.tv or write to Jo.Smith@gannett.com today."
    ]
    assert len(split_sentences(text)) == 2  # the reader's split is unchanged
