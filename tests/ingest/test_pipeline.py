"""The ingest pipeline's progress: what a progress display hears while a batch is embedded."""

from __future__ import annotations

import pytest

from qa.config import Settings
from qa.embeddings import Embedder
from qa.ingest.pipeline import EMBED_SLICE, Ingestor
from qa.models import Article
from qa.store.chroma import open_store


def test_embedding_progress_moves_before_the_batch_is_written(
    embedded_settings: Settings, hashing_embedder: Embedder
) -> None:
    ingestor = Ingestor(open_store(embedded_settings), hashing_embedder)

    def body(i: int) -> str:  # distinct reports: one text under 40 ids would be refused as copies
        return " ".join(f"Line {k} of report {i}: the harbour works cost {i * 1000 + k} dollars." for k in range(50))

    articles = [Article(id=f"a{i}", title=f"Report {i}", text=body(i)) for i in range(40)]
    assert sum(len(ingestor.chunks_of(a)) for a in articles) > 2 * EMBED_SLICE  # one batch, several slices
    events: list[tuple[str, float]] = []
    report = ingestor.ingest(
        articles, progress=lambda n: events.append(("done", n)), embedded=lambda n: events.append(("embedded", n))
    )
    assert len(report.added) == 40
    embedded = [n for kind, n in events if kind == "embedded"]
    assert sum(embedded) == pytest.approx(40) and len(embedded) > 2  # it moved several times ...
    first_done = next(i for i, (kind, _) in enumerate(events) if kind == "done")
    assert all(kind == "embedded" for kind, _ in events[:first_done])  # ... before anything was stored
    assert sum(n for kind, n in events if kind == "done") == 40

    # Unchanged articles need no embedding: only "done" is heard.
    events.clear()
    again = ingestor.ingest(
        articles, progress=lambda n: events.append(("done", n)), embedded=lambda n: events.append(("embedded", n))
    )
    assert len(again.unchanged) == 40
    assert events == [("done", 1)] * 40
