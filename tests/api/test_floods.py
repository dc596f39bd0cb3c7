"""A flood of different unreadable articles against a real `qa serve` (issue 30, #3).

Each lorem article passed every per-article check, and, all different, none was a copy. But they
embed close to one another: 200 of them on a real busy day made one story of 167 articles that led
the briefing, its summary in lorem. They are refused now, one by one, by what the embedder can read.
"""

from __future__ import annotations

import random
import re
import time
from pathlib import Path
from typing import Any

import httpx

from qa.testing.api_server import start_qa_server

LOREM = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore "
    "magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea commodo "
    "consequat duis aute irure in reprehenderit voluptate velit esse cillum fugiat nulla pariatur excepteur"
)
WORDS = LOREM.split()


def lorem_articles(n: int, day: str) -> list[dict[str, Any]]:
    rng = random.Random(7)

    def sentences() -> str:
        return " ".join(
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 15))).capitalize() + "."
            for _ in range(rng.randint(3, 8))
        )

    return [
        {
            "id": f"lorem-{i}",
            "title": " ".join(rng.choice(WORDS) for _ in range(5)).capitalize(),
            "text": sentences(),
            "source": "spam.example",
            "published": day,
        }
        for i in range(n)
    ]


def test_a_job_of_different_lorem_articles_is_refused_and_the_briefing_stays_news(tmp_path: Path) -> None:
    with start_qa_server(tmp_path / "data") as server:  # the seed articles are loaded at start
        day = httpx.get(f"{server.url}/briefing", timeout=60).json()["date"]
        flood = lorem_articles(60, day)
        r = httpx.post(f"{server.url}/ingest", json={"articles": flood}, timeout=60)
        assert r.status_code == 202, r.text
        url = f"{server.url}/ingest/{r.json()['job_id']}"
        deadline = time.monotonic() + 240
        while (job := httpx.get(url, timeout=60).json())["state"] not in ("done", "failed"):
            assert time.monotonic() < deadline, job
            time.sleep(0.3)
        assert job["counts"] == {"failed": 60}, job["counts"]
        assert all("not in a language the embedder reads" in a["reason"] for a in job["articles"])

        # One article at a time is refused too, with a message that says why and how to change it.
        r = httpx.post(f"{server.url}/articles", json=flood[:1], timeout=60)
        assert r.status_code == 422 and "QA_MIN_KNOWN_WORDS" in r.json()["error"]["message"]

        briefing = httpx.get(f"{server.url}/briefing", params={"date": day}, timeout=60).json()
        told = [s["headline"] + s["summary"] for s in briefing["sections"]] + [a["headline"] for a in briefing["also"]]
        words = {w for text in told for w in re.findall(r"\w+", text.lower())}
        assert told and not words & {"lorem", "dolor", "consectetur"}, told
        assert not httpx.get(f"{server.url}/articles/lorem-0", timeout=60).is_success


def test_a_flood_of_readable_word_salad_counts_as_one_text_in_the_briefing(tmp_path: Path) -> None:
    """Random words of a small vocabulary, with the glue of sentences: readable, so stored, and no
    copies of one another. They embed as one text (cosine 0.9 and more), and the briefing now counts
    them so: 60 such articles used to make the seed day's top story."""
    rng = random.Random(3)
    vocab = ["council", "budget", "river", "storm", "vote", "bridge", "harbor", "election", "court", "tariff"]

    def salad() -> str:
        return ". ".join(
            f"The {rng.choice(vocab)} and the " + " ".join(rng.choice(vocab) for _ in range(11)) for _ in range(5)
        )

    with start_qa_server(tmp_path / "data") as server:
        day = httpx.get(f"{server.url}/briefing", timeout=60).json()["date"]
        flood = [
            {
                "id": f"salad-{i}",
                "title": f"Report {i}",
                "text": salad() + ".",
                "source": "spam.example",
                "published": day,
            }
            for i in range(60)
        ]
        r = httpx.post(f"{server.url}/articles", json=flood, timeout=120)
        assert r.status_code == 200, r.text
        sections = httpx.get(f"{server.url}/briefing", params={"date": day}, timeout=60).json()["sections"]
        salads = [s for s in sections if s["article_ids"][0].startswith("salad-")]
        assert salads and sections[0] not in salads, [s["headline"] for s in sections]
        assert any("distinct" in reason for s in salads for reason in s["rank_reasons"])
