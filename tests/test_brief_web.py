"""The Briefing tab's handlers and HTML without a browser: progress while a large scope is
read, the finished briefing with markers for the tab's own viewer, badges and flags, and
sources opened from the briefing kept in the page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

from assistant.brief.model import Briefing, BriefItem, BriefSection, Scope
from assistant.engine import Engine
from assistant.types import Citation
from assistant.web.brief_render import briefing_html
from assistant.web.briefing import BriefingTab, Progress


def test_a_large_scope_shows_how_far_the_briefing_got(
    make_engine: Callable[..., Engine], tmp_path: Path
) -> None:
    corpus = tmp_path / "many"
    corpus.mkdir()
    for n in range(30):
        (corpus / f"minutes-{n:02d}.txt").write_text(
            f"Council Minutes {n}\n\nThe council approved {n + 3} new bus shelters for the "
            f"north district on Monday, the transport committee said.\n",
            encoding="utf-8",
        )
    engine = make_engine(corpus_dir=corpus)
    engine.ingest()
    outputs = list(BriefingTab(engine).run(None, None, False))
    assert len(outputs) >= 2
    first_html = outputs[0][0]
    assert 'class="ba-brief-progress"' in first_html
    final_html, state, export = outputs[-1]
    assert "Briefing: all documents (30 documents)" in final_html
    assert state["covered"] and len(state["covered"]) == 30
    assert export["interactive"] is True
    assert Path(export["value"]).read_text(encoding="utf-8").startswith("# Briefing:")


def test_progress_messages_say_what_is_happening() -> None:
    progress = Progress()
    assert progress.message() == "Choosing the documents…"
    progress("read", 40, 200)
    assert progress.message() == "Reading documents: 40 of 200…"
    progress("ask", 3, 0)
    assert "asking what they do not say (3 questions)" in progress.message()


def _citation(number: int) -> Citation:
    return Citation(
        number=number,
        chunk_id="",
        doc_id="d",
        title="Harbour <Notes>",
        source="/x.txt",
        paragraph=2,
        char_start=0,
        char_end=5,
        quote="Ships",
    )


def test_the_html_links_markers_to_the_tab_viewer_and_shows_badges() -> None:
    items = [
        BriefItem(text="Ships waited.", citations=[_citation(1)], new=True, change="new"),
        BriefItem(text="A <b>bold</b> claim.", citations=[_citation(2)], supported=False),
    ]
    briefing = Briefing(
        scope=Scope(label="harbour"),
        sections=[BriefSection(key="key_points", title="Key points", items=items)],
    )
    html = briefing_html(briefing, lambda doc_id: "Ships waited outside.")
    assert 'class="ba-marker ba-bcite ba-bn1"' in html and "ba-cite " not in html
    assert html.count('class="ba-badge ba-new-badge">new<') == 1
    assert "not supported by its sources" in html and "ba-unsupported" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>" not in html, "text is escaped"
    assert '<mark class="ba-quote">Ships</mark>' in html


def test_a_marker_opens_its_quote_in_the_tab_viewer(seed_engine: Engine) -> None:
    tab = BriefingTab(seed_engine)
    *_, (html, state, _) = tab.run(None, None, False)
    number = state["sections"][0]["items"][0]["citations"][0]["number"]
    viewer = tab.open_source(state, SimpleNamespace(_data={"n": number}))  # type: ignore[arg-type]
    quote = state["sections"][0]["items"][0]["citations"][0]["quote"]
    assert 'id="ba-cited"' in viewer and quote.split()[0] in viewer
    gone = tab.open_source(state, SimpleNamespace(_data={"n": 999}))  # type: ignore[arg-type]
    assert "no longer shown" in gone


def test_a_briefing_asked_for_in_the_chat_renders_with_linked_markers(seed_engine: Engine) -> None:
    from assistant.web.render import answer_html

    answer = seed_engine.ask("Summarize the article")
    html = answer_html(answer, 0, seed_engine.document_text)
    for citation in answer.citations:
        assert f"ba-cite ba-t0 ba-n{citation.number}" in html
    assert "Key points" in html and "ba-abstain" not in html
