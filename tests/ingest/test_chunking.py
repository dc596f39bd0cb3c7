from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qa.ingest.chunking import chunk_article
from qa.models import Article
from qa.normalize import normalize_text

PARA = (
    "Russia last month launched 5,438 drones at Ukraine, a new monthly record. "
    "Meanwhile, a Ukrainian drone hit an industrial plant in Izhevsk, about 620 miles east of Moscow. "
    "Lt. Gen. Keith Kellogg urged an immediate ceasefire!\n\n"
)


def test_chunks_are_exact_spans_and_cover_the_text() -> None:
    a = Article(title="t", text=PARA * 30)
    chunks = chunk_article(a, size=300, overlap=50)
    assert len(chunks) > 5
    covered = 0
    for i, c in enumerate(chunks):
        assert a.text[c.start : c.end] == c.text
        assert c.position == i and c.article_id == a.id
        assert len(c.text) <= 300
        covered = max(covered, c.end)
    assert covered == len(a.text.rstrip())


def test_chunks_end_at_sentence_boundaries_when_they_can() -> None:
    chunks = chunk_article(Article(title="t", text=PARA * 10), size=400, overlap=0)
    assert all(c.text.rstrip().endswith((".", "!", "?")) for c in chunks)


def test_ids_are_deterministic_and_versioned() -> None:
    a = Article(title="t", text=PARA * 5)
    assert [c.id for c in chunk_article(a)] == [c.id for c in chunk_article(a)]
    b = Article(id=a.id, title="t", text=PARA * 5 + "One more sentence.")
    assert not {c.id for c in chunk_article(a)} & {c.id for c in chunk_article(b)}


@settings(max_examples=150, deadline=None)
@given(
    # Text with something visible in it: control and zero-width characters alone are blank.
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=3000).filter(
        lambda s: normalize_text(s).strip()
    ),
    st.integers(min_value=100, max_value=800),
    st.integers(min_value=0, max_value=200),
)
def test_every_chunk_equals_its_span(text: str, size: int, overlap: int) -> None:
    a = Article(title="t", text=text)
    for c in chunk_article(a, size=size, overlap=overlap):
        assert a.text[c.start : c.end] == c.text
        assert c.text.strip()
