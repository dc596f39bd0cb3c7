"""Document stores by name (``QA_STORE``, a :class:`qa.plugins.Plugins` registry). Adding one: a
class satisfying :class:`qa.store.protocol.DocumentStore` and a line in ``STORES`` below, or, from
another package, an entry point in the ``qa.stores`` group naming a factory of ``(Settings)``."""

from __future__ import annotations

from collections.abc import Callable

from qa.config import Settings
from qa.errors import InvalidInput
from qa.plugins import Plugins
from qa.store.protocol import DocumentStore, ReindexableStore

StoreFactory = Callable[[Settings], DocumentStore]


def _chroma(settings: Settings) -> DocumentStore:
    from qa.store.chroma import open_store  # chromadb is imported only where a store is opened

    return open_store(settings)


STORES: Plugins[StoreFactory] = Plugins("store", "QA_STORE", {"chroma": _chroma})


def open_store(settings: Settings) -> DocumentStore:
    """The configured store (``QA_STORE``)."""
    return STORES.get(settings.store)(settings)


def open_reindexable(settings: Settings) -> ReindexableStore:
    """The configured store, if it can move to another embedder's vectors (``qa reindex``)."""
    store = open_store(settings)
    if not isinstance(store, ReindexableStore):
        raise InvalidInput(f"the {settings.store} store (QA_STORE) cannot be reindexed: it is not Reindexable")
    return store
