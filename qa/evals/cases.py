"""Eval cases as data (YAML): what to ask and what the answer must contain."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from qa.errors import InvalidInput

Kind = Literal["ask", "abstain", "summary", "briefing"]


class StoryFacts(BaseModel):
    story: str = Field(description="A title substring (or id) of one article of the story.")
    facts: list[list[str]]


class Case(BaseModel):
    id: str = Field(pattern=r"^[A-Za-z0-9._-]+$")
    kind: Kind
    tags: list[str] = Field(default_factory=list)
    question: str | None = None
    facts: list[list[str]] = Field(
        default_factory=list, description="Groups of accepted phrasings (or 're:<regex>'); every group must match."
    )
    must_not: list[str] = Field(
        default_factory=list, description="Phrasings (or 're:<regex>') a focused answer would not contain."
    )
    source: str | list[str] | None = Field(
        default=None, description="An article id or title substring (or several: any one) that must be cited."
    )
    filters: dict[str, object] | None = None
    article: str | None = Field(default=None, description="summary: an article id or title substring")
    query: str | None = Field(default=None, description="summary: or a query")
    date: dt.date | None = None
    together: list[list[str]] = Field(default_factory=list, description="briefing: groups sharing a section")
    apart: list[list[str]] = Field(default_factory=list, description="briefing: pairs in different sections")
    top: list[list[str]] = Field(
        default_factory=list,
        description="briefing: stories that must be among the first 3 sections; each a list of title substrings "
        "(or ids), any one of the story's articles",
    )
    story_facts: list[StoryFacts] = Field(
        default_factory=list, description="briefing: facts the summary of the story holding an article must state"
    )
    corpus: Literal["realtimeqa"] | None = Field(
        default=None,
        description="Articles this case needs beyond seeds/ and evals/corpus/: realtimeqa loads the case's day "
        "from the bench data ($QA_BENCH_DIR, default ../shared/bench/realtimeqa) at run time; never copied here",
    )

    @model_validator(mode="after")
    def _complete(self) -> Case:
        need = {
            "ask": self.question,
            "abstain": self.question,
            "summary": self.article or self.query,
            "briefing": self.date,
        }[self.kind]
        if not need:
            raise ValueError(f"a {self.kind} case needs {'question' if self.kind in ('ask', 'abstain') else 'more'}")
        if len(self.top) > 3:
            raise ValueError("top names at most 3 stories (the first 3 sections)")
        if self.corpus and not self.date:
            raise ValueError("a case with a corpus needs the date it loads")
        return self


class Dataset(BaseModel):
    cases: list[Case]

    @classmethod
    def load(cls, paths: list[Path], tags: list[str] | None = None) -> Dataset:
        cases: list[Case] = []
        files = sorted(f for p in paths for f in ([p] if p.is_file() else p.rglob("*.yaml")))
        if not files:
            raise InvalidInput(f"no case files (*.yaml) in {', '.join(map(str, paths))}")
        for f in files:
            try:
                raw = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
                cases += [Case.model_validate(c) for c in raw.get("cases", [])]
            except (yaml.YAMLError, ValidationError) as exc:
                raise InvalidInput(f"{f}: invalid case file: {exc}") from exc
        ids = [c.id for c in cases]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise InvalidInput(f"duplicate case ids: {', '.join(dupes)}")
        if tags:
            cases = [c for c in cases if set(tags) & set(c.tags)]
        return cls(cases=sorted(cases, key=lambda c: c.id))
