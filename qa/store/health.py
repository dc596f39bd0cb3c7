"""How well a store's vector index still finds what it holds: the self-retrieval figure.

A stored chunk's own vector should bring the chunk back among its nearest. A flood of near-copies
or a damaged index makes chunks lose themselves, and search quality with them, long before
anything errors; `/healthz` (with a key) and `qa doctor` report the share that still do.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from qa.store.protocol import DocumentStore

SAMPLE = 50  # chunks probed: a figure to 2%, in a few milliseconds of queries
NEAREST = 5  # a chunk "finds itself" when it is among its own vector's nearest this many
HEALTHY = 0.9  # below this share, search quality has visibly suffered


@dataclass(frozen=True)
class SelfRetrieval:
    found: int
    sampled: int
    nearest: int = NEAREST

    @property
    def share(self) -> float:
        return self.found / self.sampled if self.sampled else 1.0

    @property
    def healthy(self) -> bool:
        return self.share >= HEALTHY


def _spread(chunk_id: str) -> bytes:
    return hashlib.blake2b(chunk_id.encode(), digest_size=8).digest()


def self_retrieval(store: DocumentStore, sample: int = SAMPLE, nearest: int = NEAREST) -> SelfRetrieval:
    """Probe ``sample`` chunks, the same ones each time while they are stored (picked by a hash of
    their ids, so across the corpus rather than its oldest part), with their stored vectors."""
    picked = sorted(store.chunk_ids(), key=_spread)[:sample]
    vectors = store.chunk_embeddings(picked)
    probes = [cid for cid in picked if cid in vectors]  # deleted meanwhile: not probed
    if not probes:
        return SelfRetrieval(found=0, sampled=0, nearest=nearest)
    near = store.neighbours(np.stack([vectors[c] for c in probes]), nearest)
    found = sum(any(cid == probe for cid, _, _ in hits) for probe, hits in zip(probes, near, strict=True))
    return SelfRetrieval(found=found, sampled=len(probes), nearest=nearest)
