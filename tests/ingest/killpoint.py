"""`qa ingest` that stops dead at one step of the store's write protocol: the crash test's child.

    python tests/ingest/killpoint.py STEP N ingest FEED [options]

Just before the Nth Chroma call of kind STEP it prints ``paused at STEP N`` on stderr and waits
to be killed, so the test's SIGKILL lands at a known step instead of after a guessed delay:

- ``chunks``: an upsert of chunks (a new version's rows, invisible until committed)
- ``commit``: the upsert of article records (the commit point of a batch)
- ``cleanup``: the delete of the previous versions' chunks
- ``none``: no pause (a whole run, with the same embedder)

Its embedder is a hashing one (``QA_EMBEDDER=hashing``, registered here only): what a kill
leaves behind does not depend on what the vectors mean, and MiniLM would make the test
spend most of its time embedding.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from chromadb.api.models.Collection import Collection


def _kind(collection: Collection, call: str) -> str | None:
    if "_chunks" in collection.name:
        return {"upsert": "chunks", "delete": "cleanup"}.get(call)
    if collection.name.endswith("_articles") and call == "upsert":
        return "commit"
    return None


def register_hashing_embedder() -> None:
    from qa.embeddings import EMBEDDERS, EmbedderKind, HashingEmbedder

    EMBEDDERS.builtins["hashing"] = EmbedderKind(
        lambda settings: HashingEmbedder(dim=64), lambda settings: "hashing-64"
    )


def install(step: str, n: int) -> None:
    seen = 0

    def wrap(call: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def patched(self: Collection, *args: Any, **kwargs: Any) -> Any:
            nonlocal seen
            if _kind(self, call) == step:
                seen += 1
                if seen == n:
                    print(f"paused at {step} {n}", file=sys.stderr, flush=True)
                    time.sleep(600)
            return original(self, *args, **kwargs)

        return patched

    Collection.upsert = wrap("upsert", Collection.upsert)  # type: ignore[method-assign]
    Collection.delete = wrap("delete", Collection.delete)  # type: ignore[method-assign]


if __name__ == "__main__":
    register_hashing_embedder()
    install(sys.argv[1], int(sys.argv[2]))
    sys.argv = ["qa", *sys.argv[3:]]
    from qa.cli import main

    main()
