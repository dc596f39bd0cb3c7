"""Candidate answers: each usable sentence of the passages, and each pair of nearby sentences.

The question's subject is often named in one sentence and the asked-for fact stated in the next
("A drone hit a plant in Izhevsk. The drone struck the Kupol plant."), so two sentences that read
on from each other are a candidate too. The ranker decides between a pair and its parts.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa.engines.extractive.sentences import Sentence

# A pair joins a sentence with the next one, or the one after it, in the same article.
PAIR_REACH = 2


@dataclass(frozen=True)
class Candidate:
    idx: tuple[int, ...]  # positions in the sentence list, in reading order
    sentences: tuple[Sentence, ...]

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.sentences)

    @property
    def terms(self) -> frozenset[str]:
        return frozenset().union(*(s.terms for s in self.sentences))

    @property
    def best_rank(self) -> int:
        return min(s.source.n for s in self.sentences)

    @property
    def is_pair(self) -> bool:
        return len(self.sentences) > 1


def build_candidates(sents: list[Sentence]) -> list[Candidate]:
    singles = [Candidate((i,), (s,)) for i, s in enumerate(sents)]
    pairs = []
    in_text_order = sorted(range(len(sents)), key=lambda i: (sents[i].source.hit.article.id, sents[i].at))
    for k, a in enumerate(in_text_order):
        for b in in_text_order[k + 1 : k + 1 + PAIR_REACH]:
            if sents[a].reads_on(sents[b]):
                pairs.append(Candidate((a, b), (sents[a], sents[b])))
    return singles + pairs
