"""The HTML briefing in a real browser: headless Chromium loads the saved page from a file:// URL.

Skipped when Chromium is not installed (`apt-get install -y chromium`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from qa.briefing.render import render_html
from qa.config import Settings
from qa.embeddings import Embedder
from tests.test_briefing import DAY, EXPECTED, hostile_briefing, loaded_services

CHROMIUM = (
    shutil.which("chromium")
    or shutil.which("chromium-browser")
    or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (apt-get install -y chromium)"),
]


def chromium(tmp_path: Path, *args: str, timeout: float = 120) -> str:
    """Run headless Chromium with a fresh profile; return its stdout. Its process group is ours to end."""
    assert CHROMIUM is not None
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        f"--user-data-dir={profile}",
        *args,
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # helpers it left behind, if any
    assert proc.returncode == 0, err[-2000:]
    return out


class Dom(HTMLParser):
    """The elements of a dumped DOM, with their attributes and text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: dict[str, list[str]] = {}
        self._open: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            while self._open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._open:
            self.text.setdefault(self._open[-1], []).append(data)

    def all(self, tag: str, cls: str | None = None) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag and (cls is None or cls in a.get("class", "").split())]


def test_briefing_page_renders_in_chromium(tmp_path: Path, embedded_settings: Settings, minilm: Embedder) -> None:
    services = loaded_services(embedded_settings, minilm)
    briefing = services.new_briefing_service().build(DAY)
    page = tmp_path / "briefing.html"
    page.write_text(render_html(briefing), encoding="utf-8")

    dom = Dom(chromium(tmp_path, "--dump-dom", page.as_uri()))
    assert "".join(dom.text["title"]) == "Briefing for 2025-04-14"
    assert "".join(dom.text["h1"]) == "Briefing for 2025-04-14"
    assert len(dom.all("section", "story")) == len(briefing.sections) == len(EXPECTED) - 1
    # The sixth story is a link under "Also today", to its article.
    assert dom.all("section", "also") and "Also today" in dom.text["h2"]
    assert "https://sportsdesk.example/football/rivertown-fc-cup-final" in {a.get("href") for a in dom.all("a")}
    assert dom.text["h2"] == [s.headline for s in briefing.sections] + ["Also today"]
    # Every citation is a numbered passage under its article, and each cited article is listed
    # once per story; articles with a URL link to it.
    items = {a["id"] for a in dom.all("blockquote") if a.get("id", "").startswith("s")}
    expected = {f"s{k}-c{c.n}" for k, s in enumerate(briefing.sections, 1) for c in s.citations}
    assert items == expected
    cited = sum(len({c.article_id for c in s.citations}) for s in briefing.sections)
    assert len(dom.all("details")) == cited
    assert dom.all("section", "top") == dom.all("section", "story")[:1]  # the top story has more room
    if len(briefing.sections) > 1:  # contents: one link a story
        assert [a["href"] for a in dom.all("a") if a.get("href", "").startswith("#story-")] == [
            f"#story-{k}" for k in range(1, len(briefing.sections) + 1)
        ]
    hrefs = {a["href"] for a in dom.all("a")}
    for s in briefing.sections:
        for c in s.citations:
            if c.url:
                assert c.url in hrefs
    assert {f"#{i}" for i in expected} <= hrefs  # the [n] markers jump to their sources
    assert not dom.all("script") and not dom.all("img") and not dom.all("link")

    shot = tmp_path / "briefing.png"
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1000,1600", "--hide-scrollbars", page.as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000  # text and boxes, not a blank page


def test_hostile_article_content_stays_text_in_the_browser(tmp_path: Path) -> None:
    page = tmp_path / "hostile.html"
    page.write_text(render_html(hostile_briefing()), encoding="utf-8")
    html = chromium(tmp_path, "--dump-dom", page.as_uri())
    dom = Dom(html)
    assert "".join(dom.text["title"]) == "Briefing for 2025-04-14"  # the injected script did not run
    assert not dom.all("script") and not dom.all("img") and not dom.all("b")
    assert "<script>document.title='pwned'</script>" in "".join(dom.text["h2"])
    assert all(not a["href"].startswith("javascript") for a in dom.all("a") if "href" in a)
