"""One plug mechanism for engines, embedders and stores: a package installed beside qa adds one of
each kind by an entry point, and a setting naming none of them is refused with the known ones.
(The engine plug-in's answers are checked in tests/engines/test_fallback.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.config import Settings
from qa.embeddings import EMBEDDERS
from qa.engines.registry import ENGINES
from qa.errors import UnknownEngine, UnknownPlugin
from qa.models import Article
from qa.services import Services, check_plugins
from qa.store.registry import STORES

PLUGIN = '''
from qa.embeddings import HashingEmbedder
from qa.store.chroma import open_store


def small_embedder(settings):
    return HashingEmbedder(dim=16)


def prefixed_store(settings):
    """Chroma under its own collection prefix: enough to show the store came from here."""
    return open_store(settings.model_copy(update={"collection_prefix": "plugged"}))
'''


@pytest.fixture
def plugin_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    site = tmp_path / "site"
    (site / "qa_parts").mkdir(parents=True)
    (site / "qa_parts" / "__init__.py").write_text(PLUGIN)
    info = site / "qa_parts-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: qa-parts\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[qa.embedders]\nsmall = qa_parts:small_embedder\n\n[qa.stores]\nplugged = qa_parts:prefixed_store\n"
    )
    monkeypatch.syspath_prepend(str(site))
    for registry in (EMBEDDERS, STORES, ENGINES):
        registry.refresh()  # entry points are listed once per process
    yield
    for registry in (EMBEDDERS, STORES, ENGINES):
        registry.refresh()


def test_a_package_adds_an_embedder_and_a_store_by_entry_point(plugin_package: None, tmp_path: Path) -> None:
    assert "small" in EMBEDDERS.names() and "plugged" in STORES.names()
    settings = Settings(data_dir=tmp_path / "data", seed_on_start=False, embedder="small", store="plugged")
    services = Services.from_settings(settings)
    assert services.embedder.model_id == "hashing-16"
    assert services.store.live_chunks().startswith("plugged_")  # type: ignore[attr-defined]
    services.ingest([Article(id="okapi", title="Okapi calf born", text="An okapi calf was born at the zoo.")])
    assert [h.article.id for h in services.search("okapi calf", k=1)] == ["okapi"]
    assert services.status().embedder == "hashing-16"  # the store recorded the plugged embedder


@pytest.mark.parametrize(
    ("setting", "error", "message"),
    [
        ({"engine": "banana"}, UnknownEngine, r"unknown engine 'banana' in QA_ENGINE \(known: extractive, llm"),
        (
            {"embedder": "word2vec"},
            UnknownPlugin,
            r"unknown embedder 'word2vec' in QA_EMBEDDER \(known: minilm, openai",
        ),
        ({"store": "postgres"}, UnknownPlugin, r"unknown store 'postgres' in QA_STORE \(known: chroma"),
    ],
)
def test_a_setting_naming_no_known_part_is_refused_with_the_known_ones(
    tmp_path: Path, setting: dict[str, str], error: type[Exception], message: str
) -> None:
    settings = Settings(data_dir=tmp_path / "data", seed_on_start=False, **setting)  # type: ignore[arg-type]
    with pytest.raises(error, match=message):
        check_plugins(settings)
    with pytest.raises(error, match=message):
        Services.from_settings(settings)
