"""The Briefing tab in a real browser (Debian's headless Chromium driven by Playwright): brief
on the library, open a line's source from its [n], export as Markdown, upload a document and
see its lines marked new. Screenshots go to test-artifacts/ (docs/ has a copy for the README)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.web.serve import Served

from .support.paths import ROOT
from .support.web_helpers import start_app

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts"
SECOND = (
    "Seoul Summons Russian Envoy\n\n"
    "South Korea's foreign ministry summoned the Russian ambassador in Seoul on Monday over "
    "the deployment of North Korean soldiers.\n\n"
    "Vice Foreign Minister Kim Hong-kyun told the ambassador that 3 new sanctions were under "
    "review.\n"
)
DONE = "#ba-briefing .ba-briefing .ba-bsection"


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[Served]:
    served = start_app(tmp_path_factory.mktemp("brief-browser") / "data", embedder)
    yield served
    served.close()


def _brief(page: Any, documents: str) -> None:
    """Press Brief me and wait for the briefing of ``documents`` ("1 document")."""
    page.locator("#ba-brief-go").click()
    page.wait_for_function(
        "(want) => [...document.querySelectorAll('#ba-briefing .ba-brief-meta')]"
        ".some((el) => el.innerText.startsWith(want))",
        arg=documents,
        timeout=90_000,
    )
    page.wait_for_selector(DONE, timeout=10_000)


def test_brief_open_sources_export_and_see_what_is_new(
    browser: Any, live_app: Served, tmp_path: Path
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_app.local_url)
    page.get_by_role("tab", name="Briefing").click()
    _brief(page, "1 document")

    briefing = page.locator("#ba-briefing")
    titles = briefing.locator(".ba-bsection h4").all_inner_texts()
    assert titles[0].lower() == "key points" and "not in the documents" in [
        t.lower() for t in titles
    ]
    text = briefing.inner_text()
    assert "10,000" in text and "Vladivostok" in text
    assert "casualties" in briefing.locator("[data-section=gaps]").inner_text().lower()
    assert briefing.locator(".ba-new-badge").count() == 0, "nothing is new the first time"
    page.screenshot(path=str(ARTIFACTS / "web-briefing.png"))

    # An [n] in a line opens the tab's viewer on that quote, in its document.
    line = briefing.locator("[data-section=numbers] .ba-bline").first
    marker = line.locator(".ba-marker").first
    number = marker.inner_text().strip("[]")
    quote = briefing.locator(f".ba-source.ba-bn{number} mark.ba-quote").inner_text()
    marker.click()
    page.wait_for_selector("#ba-brief-viewer mark#ba-cited", timeout=15_000)
    assert page.locator("#ba-brief-viewer mark#ba-cited").inner_text() == quote
    assert (
        "North Korean Troops in Russia"
        in page.locator("#ba-brief-viewer .ba-viewer-title").inner_text()
    )
    page.screenshot(path=str(ARTIFACTS / "web-briefing-source.png"))

    # Export as Markdown downloads the briefing with its sources.
    with page.expect_download(timeout=15_000) as download:
        page.locator("#ba-brief-export").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert exported.startswith("# Briefing: all documents") and "## Sources" in exported

    # A document uploaded in the library: briefed again, its lines carry the "new" badge.
    upload = tmp_path / "seoul-summons.txt"
    upload.write_text(SECOND, encoding="utf-8")
    page.get_by_role("tab", name="Documents").click()
    page.set_input_files("#ba-upload input[type=file]", str(upload))
    page.wait_for_function(
        "() => document.querySelector('#ba-upload-status')?.innerText.includes('added')",
        timeout=60_000,
    )
    page.get_by_role("tab", name="Briefing").click()
    _brief(page, "2 documents")
    new_lines = briefing.locator(".ba-bline.ba-bnew")
    assert new_lines.count() > 0
    assert "Seoul" in " ".join(new_lines.all_inner_texts())
    for row in new_lines.all():
        assert row.locator(".ba-new-badge").count() == 1
    page.screenshot(path=str(ARTIFACTS / "web-briefing-new.png"))
    assert not errors, errors
