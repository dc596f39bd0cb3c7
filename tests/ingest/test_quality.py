"""One article must not degrade search for everyone (the 'lorem ipsum' attack)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from qa.config import Settings
from qa.embeddings import Embedder
from qa.ingest.chunking import chunk_article
from qa.ingest.quality import NEAR_COPY, distinct_chunks, low_information, near_copies, unreadable
from qa.ingest.readers import read_paths
from qa.models import Article
from qa.services import Services

REPO = Path(__file__).resolve().parents[2]
LOREM = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et "
    "dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip. "
)
# A copy flood of readable text: lorem ipsum is refused before it can be a copy.
PIER = (
    "The harbour council voted on Monday to close the old ferry pier for repairs until spring, and the "
    "ferries will use the north quay meanwhile, the port authority said in a statement."
)


def test_repeated_text_is_low_information_and_real_text_is_not() -> None:
    assert low_information(LOREM * 2000) is not None
    real = (REPO / "seeds" / "ap-drones-related-page.txt").read_text()
    assert low_information(real) is None
    assert low_information(LOREM * 3) is None  # too short to judge


def test_text_the_embedder_cannot_read_is_refused_and_news_is_not() -> None:
    real = (REPO / "seeds" / "ap-drones-related-page.txt").read_text()
    assert unreadable(real, 0.5) is None
    reason = unreadable(LOREM * 2, 0.5)
    assert reason is not None and "QA_MIN_KNOWN_WORDS" in reason and "25% of its 64 words" in reason
    assert unreadable(LOREM * 2, 0.0) is None  # the bar off
    assert unreadable("Lorem ipsum dolor sit amet, consectetur adipiscing elit.", 0.5) is None  # too few words
    # News full of names the vocabulary lacks is still news.
    names = (
        "Volodymyr Zelenskyy met Kaja Kallas and Radosław Sikorski in Kyiv on Tuesday, where Oleksandr Syrskyi "
        "briefed them on the front near Pokrovsk and Kostiantynivka before they travelled on to Zaporizhzhia."
    )
    assert unreadable(names, 0.5) is None


def test_the_known_words_bar_holds_only_for_the_english_embedder_unless_set() -> None:
    endpoint = {"embed_base_url": "http://127.0.0.1:9/v1", "embed_model": "m"}
    assert Settings().known_words_bar() == 0.5  # type: ignore[call-arg]
    assert Settings(embedder="openai", **endpoint).known_words_bar() == 0.0  # type: ignore[call-arg]
    assert Settings(embedder="openai", min_known_words=0.3, **endpoint).known_words_bar() == 0.3  # type: ignore[call-arg]
    assert Settings(min_known_words=0).known_words_bar() == 0.0  # type: ignore[call-arg]


def test_near_duplicate_chunks_of_one_article_are_kept_once() -> None:
    a = Article(id="rep", title="Repeats", text=("A plain sentence about a storm. " * 40 + "\n\n") * 6)
    chunks = chunk_article(a, 300, 50)
    kept = distinct_chunks(chunks)
    assert len(chunks) > 10 and len(kept) <= 3
    assert all(a.text[c.start : c.end] == c.text for c in kept)  # still exact spans


def test_a_degenerate_article_is_refused_and_search_stays_sound(tmp_path: Path, minilm: Embedder) -> None:
    services = Services.from_settings(
        Settings(data_dir=tmp_path, seed_on_start=False, max_chunks_per_article=200),  # type: ignore[call-arg]
        embedder=minilm,
    )
    good = list(read_paths([REPO / "seeds", REPO / "evals" / "corpus"]))
    assert not services.ingestor.ingest(good).errors  # type: ignore[arg-type]
    bad = Article(id="lorem", title="Lorem", text=LOREM * 4500, published=date(2025, 7, 1))  # ~990,000 chars
    report = services.ingestor.ingest([bad])
    assert report.errors and "low-information" in report.errors[0] and services.store.get_article("lorem") is None
    # A long article of distinct sentences over the chunk cap is refused too, by name.
    long = Article(
        id="long", title="Long", text=" ".join(f"The sentence number {i} says {i * 7} things." for i in range(20000))
    )
    report = services.ingestor.ingest([long])
    assert report.errors and "QA_MAX_CHUNKS_PER_ARTICLE" in report.errors[0]
    # Every stored chunk still finds itself as its own nearest neighbour.
    records = [r for a in good for r in services.store.article_chunks(a.id)]  # type: ignore[union-attr]
    found = 0
    for r in records:
        text = f"{services.retriever.article_meta(r.chunk.article_id).title}\n{r.chunk.text}"  # type: ignore[union-attr]
        vec = minilm.embed([text])[0]
        hits = services.store.dense_search(np.asarray(vec), 1, None)
        found += bool(hits) and hits[0][0].chunk.id == r.chunk.id
    assert found / len(records) >= 0.99


def test_the_indexed_near_duplicate_check_keeps_what_comparing_every_pair_keeps() -> None:
    """The trigram index is only a faster way to the same answer as the pairwise Jaccard rule."""
    import random

    from qa.ingest.quality import NEAR_DUPLICATE, _shingles
    from qa.models import Chunk

    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(40)]
    base = [" ".join(rng.choice(vocab) for _ in range(30)) for _ in range(12)]
    texts = []
    for _ in range(120):  # copies, copies with a few words changed, and new text
        words = rng.choice(base).split()
        for _ in range(rng.choice([0, 1, 2, 6, 15])):
            words[rng.randrange(len(words))] = rng.choice(vocab)
        texts.append(" ".join(words))
    chunks = [Chunk(id=f"a:{i}", article_id="a", position=i, text=t, start=0, end=len(t)) for i, t in enumerate(texts)]

    kept: list[Chunk] = []
    for c in chunks:
        s = _shingles(c.text)
        if all(len(s & _shingles(k.text)) / len(s | _shingles(k.text)) < NEAR_DUPLICATE for k in kept):
            kept.append(c)
    assert [c.position for c in distinct_chunks(chunks)] == [c.position for c in kept]
    assert 12 <= len(kept) < 120


def test_counting_distinct_chunks_stops_one_past_the_limit() -> None:
    """An article over the chunk limit is refused: counting further is work for nothing."""
    text = " ".join(f"Sentence {i} tells fact number {i * 13} of the report." for i in range(400))
    chunks = chunk_article(Article(id="long", title="Long", text=text), 200, 0)
    assert len(distinct_chunks(chunks)) > 20
    assert distinct_chunks(chunks, limit=5) == distinct_chunks(chunks)[:6]


def test_near_copies_counts_stored_and_earlier_copies_of_every_chunk() -> None:
    e = np.eye(4, dtype=np.float32)
    same, other = "the same words in the same order " * 3, "words of another text about the river " * 3
    # a1 and a2: one chunk of one text; a3: two chunks, only its first a copy; a4: a close vector
    # (random words of a small vocabulary embed close) but other words.
    owners = ["a1", "a2", "a3", "a3", "a4"]
    texts = [same, same, same, "a chunk of its own", other]
    vectors = np.stack([e[0], e[0], e[0], e[1], e[0]])
    stored = [[("c9", "old", 1.0), ("c8", "near", NEAR_COPY - 0.01)]] * 3 + [[("c7", "old", 0.2)], [("c9", "old", 1.0)]]
    texts_of = {"c9": same, "c8": same, "c7": "unrelated"}
    assert near_copies(owners, texts, vectors, stored, texts_of, limit=1) == {"a1", "a2"}
    assert near_copies(owners, texts, vectors, stored, texts_of, limit=2) == {"a2"}  # "old" and a1 before it
    assert near_copies(owners, texts, vectors, stored, texts_of, limit=3) == set()
    assert near_copies(owners, texts, vectors, stored, texts_of, limit=0) == set()  # off
    own = [[("c1", "a1", 1.0)]]  # an update meets its own stored chunks: not a copy
    assert near_copies(["a1"], [same], e[:1], own, {"c1": same}, limit=1) == set()


def test_a_flood_of_copies_is_refused_past_the_limit_and_syndication_is_not(tmp_path: Path, minilm: Embedder) -> None:
    """The attack: one text under many ids, in one job and then another. The first copies are
    kept (syndicated news runs one story under a few outlets' names); the rest are refused by
    name, and real articles in the same batch are stored. Articles of random words from a small
    vocabulary (the load test's) embed close to each other but are not copies."""
    services = Services.from_settings(
        Settings(data_dir=tmp_path, seed_on_start=False, max_near_copies=5),  # type: ignore[call-arg]
        embedder=minilm,
    )
    real = list(read_paths([REPO / "seeds"]))
    flood = [Article(id=f"lorem-{i}", title=f"Pier {i}", text=PIER) for i in range(12)]
    report = services.ingestor.ingest([*flood[:6], *real, *flood[6:]])  # type: ignore[list-item]
    refused = sorted(e.split(":")[0] for e in report.errors)
    assert refused == sorted(f"lorem-{i}" for i in range(5, 12)), report.errors
    assert "flood of copies (QA_MAX_NEAR_COPIES)" in report.errors[0]
    assert {a.id for a in real} <= set(report.added)  # type: ignore[union-attr]
    again = services.ingestor.ingest([Article(id="lorem-x", title="More on the pier", text=PIER)])
    assert again.errors and not again.added  # a later job meets the stored copies
    wire = "The council approved 12 miles of protected bike lanes on Tuesday after a two-hour debate."
    syndicated = [Article(id=f"wire-{o}", title="Bike lanes approved", text=wire, source=o) for o in "ABC"]
    assert sorted(services.ingestor.ingest(syndicated).added) == ["wire-A", "wire-B", "wire-C"]
    import random

    rng = random.Random(1)
    vocab = ["council", "budget", "river", "storm", "vote", "bridge", "harbor", "election", "court", "tariff"]
    bags = [
        Article(
            id=f"bag-{i}",
            title=f"Report {i}",
            text="The report of the " + " ".join(rng.choice(vocab) for _ in range(60)) + ".",
        )
        for i in range(12)
    ]
    assert len(services.ingestor.ingest(bags).added) == 12


def test_spun_copies_are_copies_too(tmp_path: Path, minilm: Embedder) -> None:
    """A flood need not be verbatim: copies of a real article with a tenth of their ordinary words
    swapped, each its own way, are refused past the limit like exact ones; the real article is
    stored. Items of one template that differ in a number or a name are not copies."""
    import random

    services = Services.from_settings(
        Settings(data_dir=tmp_path, seed_on_start=False, max_near_copies=5),  # type: ignore[call-arg]
        embedder=minilm,
    )
    real = [a for a in read_paths([REPO / "seeds"]) if isinstance(a, Article)]
    base = " ".join(real[0].text.split()[:180])
    rng = random.Random(4)
    swaps = ["quickly", "various", "local", "major", "several", "recent", "official", "new", "former", "large"]

    def spin() -> str:
        return " ".join(rng.choice(swaps) if w.islower() and rng.random() < 0.1 else w for w in base.split())

    assert services.ingestor.ingest(real).added
    spun = [Article(id=f"spun-{i}", title=f"Spun story {i}", text=spin()) for i in range(14)]
    report = services.ingestor.ingest(spun)
    refused = {e.split(":")[0] for e in report.errors}
    assert len(report.added) <= 6 and len(refused) >= 8, report.errors  # the original counts as one
    assert all("flood of copies" in e for e in report.errors)


LONG = (
    "The council approved the budget on Monday after Mayor Lena Ortiz spoke for an hour, and 5,438 "
    "residents of Riverton signed a petition asking for two more bus lines and a repaired harbor bridge."
)


@pytest.mark.parametrize(
    ("a", "b", "copy"),
    [
        (LONG, LONG + " Ref 48213.", True),  # verbatim, a number of its own added
        (LONG, LONG.replace("asking for", "calling for").replace("repaired", "mended"), True),  # spun
        (LONG, LONG.replace("5,438", "6,120"), False),  # one template, other numbers
        (LONG, LONG.replace("Lena Ortiz", "Paul Reyes").replace("Riverton", "Lakeside"), False),  # other names
        ("The northern lane of Route 9 is closed.", "The southern lane of Route 9 is closed.", False),  # short
        ("The northern lane of Route 9 is closed.", "The northern lane of Route 9 is closed.", True),
    ],
    ids=["tagged", "spun", "numbers", "names", "short-lines", "short-verbatim"],
)
def test_what_counts_as_a_copy(a: str, b: str, copy: bool) -> None:
    from qa.ingest.quality import copies

    assert copies(a, b) is copy and copies(b, a) is copy


def test_a_copy_check_the_store_cannot_answer_never_fails_the_ingest(tmp_path: Path, minilm: Embedder) -> None:
    """A Chroma server may answer a query on a collection being written with "Nothing found on
    disk"; the check is a defence, so the batch is stored unchecked rather than refused."""
    services = Services.from_settings(Settings(data_dir=tmp_path, seed_on_start=False), embedder=minilm)  # type: ignore[call-arg]

    def down(*args: object, **kwargs: object) -> object:
        raise RuntimeError("Error creating hnsw segment reader: Nothing found on disk")

    services.store.neighbours = down  # type: ignore[method-assign]
    report = services.ingestor.ingest(list(read_paths([REPO / "seeds"])))  # type: ignore[arg-type]
    assert not report.errors and len(report.added) == 4


def test_exact_copies_are_found_anywhere_in_a_batch_and_near_ones_within_its_window() -> None:
    """The work per chunk is bounded: vectors are compared with the BATCH_WINDOW chunks before it
    only, but an exact copy (the same trigram set) is found however far back it was sent."""
    from qa.ingest.quality import BATCH_WINDOW

    e = np.eye(3, dtype=np.float32)
    same = " ".join(f"word{k}" for k in range(60))
    near = same + " today"  # a near copy: 58 of its 59 trigrams shared
    filler = [" ".join(f"filler{k}x{m}" for m in range(8)) for k in range(BATCH_WINDOW)]  # no two alike
    owners = ["first", *(f"f{k}" for k in range(BATCH_WINDOW)), "exact", "near"]
    texts = [same, *filler, same, near]
    vectors = np.stack([e[0], *([e[1]] * BATCH_WINDOW), e[0], e[0]])
    stored: list[list[tuple[str, str, float]]] = [[] for _ in owners]
    assert near_copies(owners, texts, vectors, stored, {}, limit=1) == {"exact", "near"}  # "near" meets "exact"
    far = [*owners[:-2], "near"]
    assert near_copies(far, [*texts[:-2], near], np.stack([*vectors[:-2], e[0]]), stored[:-1], {}, limit=1) == set()
