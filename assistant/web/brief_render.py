"""HTML of the Briefing tab: sections of cited lines with [n] markers that open the tab's
source viewer, a "new" badge on what changed, and the sources with their quotes marked.

Markers and sources carry the classes ``ba-bcite ba-bn<number>`` (the chat's are ``ba-cite``),
so the tab's own viewer script answers them (BRIEF_VIEWER_JS)."""

from __future__ import annotations

from collections.abc import Callable

from ..brief.markdown import UNSUPPORTED
from ..brief.model import Briefing, BriefItem
from ..types import Citation
from .render import esc, highlighted_paragraph, quote_matches

TextLookup = Callable[[str], str | None]
_LABELLED = {"people", "places", "timeline", "numbers", "claims", "unconfirmed"}


def brief_classes(number: int) -> str:
    return f"ba-bcite ba-bn{number}"


def _marker(citation: Citation) -> str:
    title = esc(f"Source {citation.number}: {citation.title}, paragraph {citation.paragraph}")
    return (
        f'<a href="#" class="ba-marker {brief_classes(citation.number)}" '
        f'title="{title}">[{citation.number}]</a>'
    )


def line_html(section: str, item: BriefItem) -> str:
    if section in ("people", "places"):
        body = f'<span class="ba-blabel">{esc(item.label or "")}</span>'
        if item.detail:
            body += f": {esc(item.detail)}"
    elif section in _LABELLED and item.label:
        extra = ""
        if item.detail and section in ("timeline", "numbers", "claims"):
            extra = f' <span class="ba-bdetail">({esc(item.detail)})</span>'
        body = f'<span class="ba-blabel">{esc(item.label)}</span>{extra}: {esc(item.text)}'
    else:
        body = esc(item.text)
    marks = "".join(_marker(c) for c in item.citations)
    badges = ""
    if item.sources > 1:
        badges += f' <span class="ba-count">{item.sources} sources</span>'
    if item.new:
        word = "changed" if item.change == "changed" else "new"
        badges += f' <span class="ba-badge ba-new-badge">{word}</span>'
    if not item.supported:
        badges += f' <span class="ba-warning ba-flag">⚠ {esc(UNSUPPORTED)}</span>'
    kind = (
        "ba-bline"
        + (" ba-bnew" if item.new else "")
        + ("" if item.supported else " ba-unsupported")
    )
    return f'<li class="{kind}">{body} {marks}{badges}</li>'


def _source(citation: Citation, text: str | None) -> str:
    if quote_matches(text, citation):
        assert text is not None
        body = highlighted_paragraph(text, citation.char_start, citation.char_end)
    else:
        body = f'<mark class="ba-quote">{esc(citation.quote)}</mark>'
    return (
        f'<div class="ba-source {brief_classes(citation.number)}" role="button" tabindex="0" '
        f'title="Show in the source viewer"><div class="ba-source-head">'
        f'<span class="ba-num">[{citation.number}]</span> '
        f'<span class="ba-title">{esc(citation.title)}</span> '
        f'<span class="ba-para">· paragraph {citation.paragraph}</span> '
        f'<span class="ba-open">view ›</span></div><div class="ba-snippet">{body}</div></div>'
    )


def briefing_html(briefing: Briefing, lookup: TextLookup) -> str:
    count = len(briefing.covered)
    head = (
        f'<div class="ba-brief-head"><div class="ba-brief-title">Briefing: '
        f'{esc(briefing.scope.label)}</div><div class="ba-brief-meta">{count} document'
        f"{'s' if count != 1 else ''}"
        + (f" · compared with the briefing of {esc(briefing.since)}" if briefing.since else "")
        + "</div></div>"
    )
    parts = [head]
    for notice in briefing.notices:
        parts.append(f'<div class="ba-notice ba-brief-notice">{esc(notice)}</div>')
    for section in briefing.sections:
        note = f'<div class="ba-brief-note">{esc(section.note)}</div>' if section.note else ""
        lines = "".join(line_html(section.key, item) for item in section.items)
        parts.append(
            f'<section class="ba-bsection" data-section="{section.key}">'
            f"<h4>{esc(section.title)}</h4>{note}<ul>{lines}</ul></section>"
        )
    if briefing.left:
        gone = "".join(f"<li>{esc(doc.title)}</li>" for doc in briefing.left)
        parts.append(
            f'<section class="ba-bsection ba-left"><h4>Documents that left</h4><ul>{gone}</ul></section>'
        )
    citations = briefing.citations
    if citations:
        texts: dict[str, str | None] = {}
        for c in citations:
            if c.doc_id not in texts:
                texts[c.doc_id] = lookup(c.doc_id)
        sources = "".join(_source(c, texts[c.doc_id]) for c in citations)
        parts.append(
            f'<div class="ba-sources"><div class="ba-sources-head">Sources</div>{sources}</div>'
        )
    return f'<div class="ba-briefing">{"".join(parts)}</div>'


def brief_placeholder(message: str = "") -> str:
    note = message or (
        "Choose what to brief on (every document, one document, or a topic) and press "
        "Brief me. Every line is cited; click an [n] to read it in its document."
    )
    return f'<div class="ba-briefing ba-brief-empty">{esc(note)}</div>'


def progress_html(message: str) -> str:
    return f'<div class="ba-brief-progress" role="status">{esc(message)}</div>'


BRIEF_CSS = """
.ba-briefing { line-height: 1.5; }
.ba-brief-empty { opacity: 0.7; font-style: italic; }
.ba-brief-title { font-weight: 700; font-size: 1.15em; }
.ba-brief-meta { font-size: 0.85em; opacity: 0.75; margin-bottom: 0.4em; }
.ba-bsection h4 { margin: 0.9em 0 0.3em 0; font-size: 0.95em; text-transform: uppercase;
  letter-spacing: 0.04em; opacity: 0.85; }
.ba-bsection ul { margin: 0; padding-left: 1.2em; }
.ba-bline { margin: 0.2em 0; }
.ba-blabel { font-weight: 600; }
.ba-bdetail { opacity: 0.8; }
.ba-count { font-size: 0.78em; opacity: 0.7; border: 1px solid var(--border-color-primary);
  border-radius: 8px; padding: 0 5px; }
.ba-new-badge { font-size: 0.75em; font-weight: 700; color: #fff; background: #16a34a;
  border-radius: 8px; padding: 0 6px; text-transform: uppercase; }
.ba-bnew { background: rgba(22, 163, 74, 0.08); border-radius: 4px; }
.ba-brief-note { font-size: 0.82em; opacity: 0.75; font-style: italic; }
.ba-brief-progress { font-size: 0.9em; padding: 0.3em 0; }
.ba-brief-progress::before { content: "⏳ "; }
#ba-brief-side { position: sticky; top: 8px; align-self: flex-start; }
#ba-brief-viewer .ba-viewer { max-height: calc(75vh - 40px); min-height: 200px; overflow-y: auto;
  padding: 0.8em 1em; border: 1px solid var(--border-color-primary); border-radius: 10px;
  background: var(--background-fill-primary); }
"""

# The Briefing tab's viewer script: clicks on its markers and sources (ba-bcite) become a
# "click" event of that viewer with the citation number; the marked quote is scrolled into
# view after each render. The chat's viewer script answers the chat's markers (ba-cite).
BRIEF_VIEWER_JS = """
window.__baBriefTrigger = trigger;
function baBriefNumber(el) {
  for (const name of el.classList) {
    if (name.startsWith('ba-bn') && /^\\d+$/.test(name.slice(5))) return Number(name.slice(5));
  }
  return null;
}
if (!window.__baBriefListening) {
  window.__baBriefListening = true;
  document.addEventListener('click', (ev) => {
    const target = ev.target instanceof Element ? ev.target : null;
    const cite = target && target.closest('.ba-bcite');
    if (cite) {
      ev.preventDefault(); ev.stopPropagation();
      window.__baBriefTrigger('click', {n: baBriefNumber(cite)});
    }
  }, true);
  document.addEventListener('keydown', (ev) => {
    const target = ev.target instanceof Element ? ev.target : null;
    if (target && (ev.key === 'Enter' || ev.key === ' ') && target.matches('.ba-source.ba-bcite')) {
      ev.preventDefault(); window.__baBriefTrigger('click', {n: baBriefNumber(target)});
    }
  }, true);
}
watch('value', () => {
  const mark = element.querySelector('#ba-cited');
  if (mark) mark.scrollIntoView({block: 'center', behavior: 'smooth'});
});
"""
