"""Training data for the cross-encoder, made here from the dev corpus's articles (never held-out material).

Synthetic questions: a sentence that states a value (a number, a date, a name, a place) becomes a
question about that value, asked the way quiz questions ask (the value replaced by its wh-phrase,
the clause cut down to the words around it, some words dropped so the question is not the
sentence). Its sentence is the positive; hard negatives are sentences that share the question's
words but do not hold the value: first from the same article, then from other articles found by
the rarest question words (what a retriever would bring). Headline → lead pairs teach what a story
is about. Everything is seeded and sorted: the same corpus gives the same data.

    python bench/tools/cross_encoder_data.py --examples 20   # print examples of the generator
"""

from __future__ import annotations

import json
import math
import random
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from qa.engines.extractive.patterns import DATE, FUNCTION, MONTHS  # noqa: E402
from qa.models import Article  # noqa: E402
from qa.prose import usable  # noqa: E402
from qa.text import split_sentences  # noqa: E402
from qa.tokens import tokenize  # noqa: E402

NEGATIVES = 4  # per question: a group is one positive and this many negatives
_PLACES = json.loads((REPO / "qa/engines/extractive/places.json").read_text(encoding="utf-8"))
_PLACE_KIND = {name: kind for kind in ("city", "state", "country") for name in _PLACES[kind]}
_NUM = re.compile(
    r"(?P<cur>[$€£])?\b(?P<n>\d[\d,.]*)(?:\s*(?P<unit>%|percent|million|billion|trillion))?"
    r"(?:\s+(?P<noun>[a-z][a-z-]{2,}))?"
)
_NAME = re.compile(r"\b[A-Z][\w'’-]+(?:\s+(?:[A-Z]\.\s*)?[A-Z][\w'’-]+){0,3}")
_TITLE_BEFORE = re.compile(
    r"\b(?:President|Sen\.|Senator|Gov\.|Governor|Rep\.|Dr\.|Mr\.|Ms\.|Mrs\.|Secretary|Minister|Judge|Mayor|CEO"
    r"|coach|star|actor|singer|director|founder|chief|spokesperson|spokesman|spokeswoman)\s*$"
)
_SAID_AFTER = re.compile(r"^,?\s+(?:said|says|told|added|wrote|announced|argued|noted)\b")
_ORG_WORD = re.compile(
    r"\b(?:University|College|School|Party|Group|Project|Series|Park|Street|Company|Inc|Corp|Department|Court"
    r"|House|Council|Committee|Agency|Association|Institute|Center|Centre|Foundation|Bank|Airlines?|League|Club"
    r"|Museum|Hospital|Army|Force|Office|Ministry|Times|News|Post|Journal|Media|Network|Service|Board|Church)\b"
)
_UNITS = frozenset(
    ["people", "percent", "years", "days", "months", "weeks", "hours", "dollars", "miles", "votes", "points", "times"]
)
_STOP_NAMES = frozenset(f"{MONTHS}|The|A|An|In|On|At|But|And|It|He|She|They|We|I|This|That|If|When|As".split("|"))


@dataclass(frozen=True)
class Example:
    """One question with its positive sentence first, then its negatives (a softmax group)."""

    kind: str
    question: str
    answer: str
    sentences: tuple[str, ...]  # [positive, *negatives]
    article: str


def _terms(text: str) -> set[str]:
    return {t for t in tokenize(text) if t not in FUNCTION and not t.isdigit()}


def _values(sentence: str) -> list[tuple[int, int, str, str]]:
    """(start, end, value, wh-phrase) for each value in the sentence, never its first word."""
    out = []
    for m in _NUM.finditer(sentence):
        if m.start() == 0 or DATE.fullmatch(m.group("n")):
            continue
        unit, noun, cur = m.group("unit"), m.group("noun"), m.group("cur")
        if cur:
            wh, end = "how much money", m.end("unit") if unit else m.end("n")
        elif unit in ("%", "percent"):
            wh, end = "what percentage", m.end("unit")
        elif noun and (noun in _UNITS or noun.endswith("s")):
            wh, end = f"how many {noun}", m.end("noun")
        else:
            continue  # a bare number asks nothing clear
        out.append((m.start(), end, sentence[m.start() : end], wh))
    for m in DATE.finditer(sentence):
        word = m.group()
        if m.start() == 0 or (not word[:1].isupper() and not word[:1].isdigit()):
            continue
        out.append((m.start(), m.end(), word, "in what year" if word.isdigit() else "when"))
    for m in _NAME.finditer(sentence):
        name = m.group()
        if m.start() == 0 or name.split()[0] in _STOP_NAMES or DATE.fullmatch(name):
            continue
        kind = _PLACE_KIND.get(name)
        if kind:
            wh = f"which {kind}"
        elif _TITLE_BEFORE.search(sentence[: m.start()]) or (" " in name and _SAID_AFTER.match(sentence[m.end() :])):
            wh = "who"
        elif " " in name:
            wh = "what" if _ORG_WORD.search(name) else "who"
        else:
            continue
        out.append((m.start(), m.end(), name, wh))
    return out


def make_question(sentence: str, value: tuple[int, int, str, str], rng: random.Random) -> str | None:
    """The sentence asked about its value: the value becomes its wh-phrase, the clause around it is
    kept (up to 10 words each side), a subject value is fronted, and a fifth of the other plain words
    are dropped so that matching the question is more than copying it."""
    start, end, _, wh = value
    before = sentence[:start].split()[-10:]
    after = re.sub(r"[.!?\"”’]+$", "", sentence[end:]).split()[:10]
    # Cut at a clause edge: an attribution or quotation beyond it is not the fact.
    for i, w in enumerate(after):
        if w.endswith((",", ";", ":")) and i >= 3:
            after = after[: i + 1]
            break

    def thin(words: list[str]) -> list[str]:
        return [w for w in words if not (w.islower() and w not in FUNCTION and rng.random() < 0.2)]

    before, after = thin(before), thin(after)
    if not before or len(before) + len(after) < 4:
        question = " ".join([wh.capitalize(), *after])
    else:
        question = " ".join([*before, wh, *after])
    question = re.sub(r"[,;:]+$", "", question).strip()
    if len(question.split()) < 5:
        return None
    return question[0].upper() + question[1:] + "?"


class _Index:
    """Sentences by their rarer terms: the retriever's neighbours, without a retriever."""

    def __init__(self, sentences: Sequence[tuple[str, str]]) -> None:
        self.sentences = sentences
        self.terms = [_terms(s) for _, s in sentences]
        df: Counter[str] = Counter(t for ts in self.terms for t in ts)
        self.idf = {t: math.log(len(sentences) / n) for t, n in df.items()}
        self.post: dict[str, list[int]] = defaultdict(list)
        for i, ts in enumerate(self.terms):
            for t in ts:
                if df[t] <= 2000:  # common words find everything and rank nothing
                    self.post[t].append(i)

    def neighbours(self, question: str, n: int) -> list[int]:
        q = _terms(question)
        score: Counter[int] = Counter()
        # Ties broken by the term itself: set order changes with PYTHONHASHSEED, the data must not.
        for t in sorted(q, key=lambda t: (-self.idf.get(t, 0), t))[:6]:
            for i in self.post.get(t, ()):
                score[i] += self.idf[t]
        return [i for i, _ in sorted(score.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def _whole(value: str) -> re.Pattern[str]:
    """The value as a whole word; a name only in its own case ("US" is not "us")."""
    return re.compile(rf"(?<!\w){re.escape(value)}(?!\w)", 0 if value[:1].isupper() else re.I)


def _group(
    kind: str, question: str, answer: str, positive: str, hard: list[str], easy: str, aid: str, rng: random.Random
) -> Example | None:
    if len(hard) < NEGATIVES - 1 or _whole(answer).search(easy) or easy == positive:
        return None
    negatives = rng.sample(hard[:6], NEGATIVES - 1)
    return Example(kind, question, answer, (positive, *negatives, easy), aid)


def build(articles: Sequence[Article], n_questions: int, seed: int = 13) -> list[Example]:
    """``n_questions`` questions: 45% asked from a sentence about its value (of which a third are
    answered by another outlet's sentence holding the same value), 45% asked from a headline about
    its value and answered by a body sentence (headlines say it in other words: the quiz's way), and
    a tenth of headline → lead pairs on top."""
    rng = random.Random(seed)
    arts = sorted(articles, key=lambda a: a.id)
    per_article = {a.id: [s for s in split_sentences(a.text) if usable(s) and 8 <= len(s.split()) <= 60] for a in arts}
    flat = [(aid, s) for aid, ss in per_article.items() for s in ss]
    index = _Index(flat)

    def easy() -> str:
        return flat[rng.randrange(len(flat))][1]

    def others(question: str, aid: str, has: re.Pattern[str]) -> list[str]:
        return [flat[j][1] for j in index.neighbours(question, 30) if flat[j][0] != aid and not has.search(flat[j][1])]

    def same_article(aid: str, question: str, has: re.Pattern[str], but: str) -> list[str]:
        qterms = _terms(question)
        near = [s for s in per_article[aid] if s != but and not has.search(s) and _terms(s) & qterms]
        return sorted(near, key=lambda s: -len(_terms(s) & qterms))

    examples: list[Example] = []
    # 1. Sentence questions: the sentence itself, or another outlet's sentence with the same value.
    order = list(range(len(flat)))
    rng.shuffle(order)
    used: Counter[str] = Counter()
    budget = round(n_questions * 0.45)
    for i in order:
        if len(examples) >= budget:
            break
        aid, sentence = flat[i]
        values = _values(sentence)
        if used[aid] >= 4 or not values:
            continue
        value = rng.choice(values)
        question = make_question(sentence, value, rng)
        if question is None:
            continue
        has = _whole(value[2])
        positive, kind = sentence, "sentence"
        if rng.random() < 0.5:  # answered in another article's words, where one holds the value
            elsewhere = [
                flat[j]
                for j in index.neighbours(question, 40)
                if flat[j][0] != aid and has.search(flat[j][1]) and flat[j][1] != sentence
            ]
            if elsewhere:
                aid, positive = elsewhere[0]
                kind = "other-outlet"
        hard = same_article(aid, question, has, positive)[:3] + others(question, aid, has)[:6]
        ex = _group(kind, question, value[2], positive, hard, easy(), aid, rng)
        if ex:
            used[aid] += 1
            examples.append(ex)
    # 2. Headline questions: the headline asked about a value it names; a body sentence naming it answers.
    budget = len(examples) + round(n_questions * 0.45)
    shuffled = arts[:]
    rng.shuffle(shuffled)
    for a in shuffled:
        if len(examples) >= budget:
            break
        title = (a.title or "").strip()
        if len(title.split()) < 5:
            continue
        values = [v for v in _values(" " + title) if v[3] not in ("when",)]
        if not values:
            continue
        start, end, found, wh = rng.choice(values)
        v = (start - 1, end - 1, found, wh)
        has = _whole(found)
        tterms = _terms(title) - _terms(found)
        body = [s for s in per_article[a.id] if has.search(s) and _terms(s) & tterms]
        if not body:
            continue
        positive = max(body, key=lambda s: (len(_terms(s) & tterms), -per_article[a.id].index(s)))
        question = make_question(title, v, rng) if start > 1 else None
        if question is None:  # the value opens the headline: ask "who/what <rest of it>?"
            rest = title[v[1] :].strip(" :,-–—")
            question = f"{wh.capitalize()} {rest.rstrip('?.!')}?" if len(rest.split()) >= 3 else None
        if question is None:
            continue
        hard = same_article(a.id, title, has, positive)[:3] + others(title, a.id, has)[:6]
        ex = _group("headline-value", question, found, positive, hard, easy(), a.id, rng)
        if ex:
            examples.append(ex)
    # 3. Headline → lead: the report's first statement answers what its headline is about.
    heads = 0
    for a in arts:
        if heads >= n_questions // 10:
            break
        ss = per_article[a.id]
        if not a.title or len(ss) < 6 or len(a.title.split()) < 5:
            continue
        late = [s for s in ss[4:] if len(_terms(s) & _terms(a.title)) <= 1]
        neighbours = [flat[j][1] for j in index.neighbours(a.title, 10) if flat[j][0] != a.id][: NEGATIVES - 1]
        if not late or len(neighbours) < NEGATIVES - 1:
            continue
        heads += 1
        examples.append(Example("headline", a.title, "", (ss[0], late[0], *neighbours), a.id))
    return examples


def main() -> None:
    import argparse

    from qa.evals.realtimeqa import load_articles

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "bench" / "realtimeqa")
    ap.add_argument("--examples", type=int, default=20)
    ap.add_argument("--questions", type=int, default=2000)
    args = ap.parse_args()
    data = build(load_articles(args.data), args.questions)
    print(dict(Counter(e.kind for e in data)))
    picked = random.Random(1).sample(data, min(args.examples, len(data)))
    for e in picked:
        print(f"- ({e.kind}) Q: {e.question}\n  value: {e.answer!r}\n  + {e.sentences[0]}\n  - {e.sentences[1]}")


if __name__ == "__main__":
    main()
