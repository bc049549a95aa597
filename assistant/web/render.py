"""HTML for the web chat: answers with clickable [n] markers, their sources (the cited sentence
highlighted inside its paragraph), the full-document viewer, and the messages shown instead.
When the reader found a short answer, it opens the answer, and inside the highlight of the
sentence that holds it the span itself is marked too (<mark class="ba-span">).

Everything that came from a document or a user goes through esc(), the one escaping rule
(assistant/markup.py): documents may hold hostile HTML or Markdown, and a <script> or an
![image](http://...) in one must show as text, never run or load. The page's script finds
sources through the classes written by cite_classes() (see assets.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..cli.common import short_answer_span, shown_short_answer
from ..markup import inert
from ..text import paragraphs
from ..types import Answer, Citation

# A paragraph longer than this is shown as a window around the quote in the chat.
SNIPPET_CONTEXT = 280
MARK_ID = "ba-cited"
# What a user sees when something unexpected failed: the details go to the server log only.
GENERIC_ERROR = "Something went wrong on the server; the details are in its log. Please try again."

TextLookup = Callable[[str], str | None]
Span = tuple[int, int]


def esc(text: str) -> str:
    return inert(text)


# An answer's [n] marker once escaped (see _linked_markers).
_ESCAPED_MARKER = re.compile(re.escape(inert("[")) + r"(\d{1,3})" + re.escape(inert("]")))


def cite_classes(turn: int, number: int) -> str:
    """Classes naming the answer (turn) and citation number of a source or marker. The chat
    sanitises its HTML and drops data-* attributes, but keeps classes; the page script reads
    these and the server looks the citation up in the conversation."""
    return f"ba-cite ba-t{turn} ba-n{number}"


def _source_label(citation: Citation) -> str:
    return f"{citation.title}, paragraph {citation.paragraph}"


def paragraph_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The paragraph of ``text`` that holds [start, end) (the whole text if none does)."""
    for p_start, p_end in paragraphs(text):
        if p_start <= start < p_end or (p_start < end <= p_end):
            return p_start, max(p_end, end)
    return 0, len(text)


def _window(text: str, start: int, end: int, lo: int, hi: int) -> tuple[int, int]:
    """Trim [lo, hi) to about SNIPPET_CONTEXT characters either side of the quote, at spaces."""
    if start - lo > SNIPPET_CONTEXT:
        cut = text.find(" ", start - SNIPPET_CONTEXT, start)
        lo = cut + 1 if cut != -1 else start - SNIPPET_CONTEXT
    if hi - end > SNIPPET_CONTEXT:
        cut = text.rfind(" ", end, end + SNIPPET_CONTEXT)
        hi = cut if cut != -1 else end + SNIPPET_CONTEXT
    return lo, hi


def _spanned(text: str, lo: int, hi: int, span: Span | None, write: Callable[[str], str]) -> str:
    """text[lo:hi] written (escaped) by ``write``, with the part of it inside ``span`` (offsets
    in ``text``) in <mark class="ba-span">. The text is cut before it is escaped, so the
    offsets count the document's characters, never those of its entities."""
    if span is not None:
        a, b = max(lo, span[0]), min(hi, span[1])
        if a < b:
            inner = write(text[a:b])
            return f'{write(text[lo:a])}<mark class="ba-span">{inner}</mark>{write(text[b:hi])}'
    return write(text[lo:hi])


def highlighted_paragraph(text: str, start: int, end: int, *, span: Span | None = None) -> str:
    """The paragraph around text[start:end], escaped, with that span in a <mark> and ``span``
    (offsets in ``text``, the short answer) marked again inside it."""
    lo, hi = paragraph_span(text, start, end)
    win_lo, win_hi = _window(text, start, end, lo, hi)
    before = ("… " if win_lo > lo else "") + esc(text[win_lo:start])
    after = esc(text[end:win_hi]) + (" …" if win_hi < hi else "")
    quote = _spanned(text, start, end, span, esc)
    return f'{before}<mark class="ba-quote">{quote}</mark>{after}'


def quote_matches(text: str | None, citation: Citation) -> bool:
    """True when the document text still holds the quote at the cited offsets."""
    return (
        text is not None
        and 0 <= citation.char_start < citation.char_end <= len(text)
        and text[citation.char_start : citation.char_end] == citation.quote
    )


def _marker(citation: Citation, turn: int) -> str:
    """The [n] link of a citation, which opens its source in the viewer."""
    flag = "" if citation.supported else " ba-unsupported"
    title = esc(f"Source {citation.number}: {_source_label(citation)}")
    return (
        f'<a href="#" class="ba-marker{flag} {cite_classes(turn, citation.number)}" '
        f'title="{title}">[{citation.number}]</a>'
    )


def _linked_markers(escaped_text: str, turn: int, by_number: dict[int, Citation]) -> str:
    def link(match: re.Match[str]) -> str:
        citation = by_number.get(int(match.group(1)))
        return match.group(0) if citation is None else _marker(citation, turn)

    return _ESCAPED_MARKER.sub(link, escaped_text)


def _short_answer(answer: Answer, turn: int) -> str:
    """The short answer as the message's first line, with the marker of the quote holding it.
    Its text is the document's, so it is escaped and any [n] in it stays plain text."""
    short = shown_short_answer(answer)
    if short is None:
        return ""
    citation = next((c for c in answer.citations if c.number == short.citation), None)
    marker = "" if citation is None else " " + _marker(citation, turn)
    return (
        f'<p class="ba-short"><span class="ba-short-label">Answer:</span> '
        f'<strong class="ba-short-text">{_lines(short.text)}</strong>{marker} '
        f'<span class="ba-prob" title="How likely the reader model finds it that this span '
        f'answers the question">p={short.probability:.2f}</span></p>'
    )


def _answer_body(answer: Answer, turn: int) -> str:
    """The answer text, escaped, with its [n] markers as links. Only the markers between
    sentences are the answer's: a quoted sentence may hold bracketed numbers of its own (a
    document's footnotes, or fake markers planted in it), which stay plain text."""
    by_number = {c.number: c for c in answer.citations}
    rest, pieces = answer.text, []
    for sentence in answer.sentences:
        at = rest.find(sentence.text) if sentence.text else -1
        if at < 0:
            break
        pieces.append(_linked_markers(_lines(rest[:at]), turn, by_number))
        pieces.append(_lines(sentence.text))
        rest = rest[at + len(sentence.text) :]
    return "".join(pieces) + _linked_markers(_lines(rest), turn, by_number)


def _in_document(citation: Citation, span: Span | None) -> Span | None:
    """A span given in the quote's offsets, in the document's."""
    return None if span is None else (citation.char_start + span[0], citation.char_start + span[1])


def source_html(turn: int, citation: Citation, text: str | None, span: Span | None = None) -> str:
    """One source under an answer: title, paragraph, and the quote inside its paragraph, with
    ``span`` (offsets in the quote: the short answer) marked inside the quote."""
    if quote_matches(text, citation):
        assert text is not None
        body = highlighted_paragraph(
            text, citation.char_start, citation.char_end, span=_in_document(citation, span)
        )
        stale = ""
    else:
        # The document changed or vanished since the answer: show what was quoted, say so.
        quote = citation.quote
        body = f'<mark class="ba-quote">{_spanned(quote, 0, len(quote), span, esc)}</mark>'
        stale = '<div class="ba-warning">The document has changed since this answer.</div>'
    warning = (
        ""
        if citation.supported
        else '<div class="ba-warning">This passage may not support the sentence it is '
        "attached to.</div>"
    )
    return (
        f'<div class="ba-source {cite_classes(turn, citation.number)}" role="button" tabindex="0" '
        f'title="Show in the source viewer">'
        f'<div class="ba-source-head"><span class="ba-num">[{citation.number}]</span> '
        f'<span class="ba-title">{esc(citation.title)}</span> '
        f'<span class="ba-para">· paragraph {citation.paragraph}</span> '
        f'<span class="ba-open">view ›</span></div>'
        f'<div class="ba-snippet">{body}</div>{stale}{warning}</div>'
    )


def answer_html(answer: Answer, turn: int, lookup: TextLookup) -> str:
    """The complete chat message for an answer. Written without blank lines or indentation so
    the chat's Markdown renderer passes it through as one HTML block."""
    body = _answer_body(answer, turn)
    parts = []
    if answer.abstained:
        parts.append(
            '<div class="ba-abstain"><div class="ba-abstain-head">No answer in the documents'
            f'</div><div class="ba-text">{body}</div>'
        )
        closest = _closest_passages(answer)
        if closest:
            parts.append(
                f'<div class="ba-closest">Closest passages (they do not answer it): {closest}</div>'
            )
        parts.append("</div>")
    else:
        parts.append(f'{_short_answer(answer, turn)}<div class="ba-text">{body}</div>')
    if answer.notice:
        parts.append(f'<div class="ba-notice">Note: {esc(answer.notice)}</div>')
    if answer.citations:
        texts: dict[str, str | None] = {}
        for c in answer.citations:
            if c.doc_id not in texts:
                texts[c.doc_id] = lookup(c.doc_id)
        sources = "".join(
            source_html(turn, c, texts[c.doc_id], short_answer_span(answer, c))
            for c in answer.citations
        )
        parts.append(
            f'<div class="ba-sources"><div class="ba-sources-head">Sources</div>{sources}</div>'
        )
    # The page script copies the answer's text and sources from the rendered message.
    parts.append(
        '<div class="ba-actions"><button type="button" class="ba-copy" '
        'title="Copy the answer and its sources">Copy</button></div>'
    )
    kind = "ba-answer ba-abstained" if answer.abstained else "ba-answer"
    # A blank line would end the HTML block in the chat's Markdown: keep newlines as entities.
    return f'<div class="{kind}" data-turn="{turn}">{"".join(parts)}</div>'.replace("\n", "&#10;")


def _closest_passages(answer: Answer) -> str:
    """ "Title: paragraphs 6, 14-15" for the top passages, grouped by document."""
    grouped: dict[str, list[str]] = {}
    for p in answer.passages[:3]:
        label = p.paragraph_label.split(" ", 1)[1]
        labels = grouped.setdefault(p.title, [])
        if label not in labels:
            labels.append(label)
    return "; ".join(
        f"{esc(title)}, paragraph{'s' * (len(labels) > 1 or '-' in labels[0])} "
        f"{esc(', '.join(labels))}"
        for title, labels in grouped.items()
    )


def question_html(text: str) -> str:
    """The user's question in its chat bubble, as typed: escaped, in one HTML block (line breaks
    as <br>) so the chat's Markdown renderer finds neither markup nor an indented code block."""
    return f'<div class="ba-question">{_lines(text)}</div>'


def pending_html(text: str) -> str:
    """A streaming answer so far: plain escaped text."""
    return f'<div class="ba-answer ba-streaming"><div class="ba-text">{_lines(text)}</div></div>'


def message_html(message: str, kind: str = "error") -> str:
    """An error or notice shown in place of an answer."""
    return f'<div class="ba-answer ba-{kind}"><div class="ba-text">{_lines(message)}</div></div>'


# --- the source viewer ------------------------------------------------------------------------


def document_html(
    title: str,
    text: str,
    start: int | None = None,
    end: int | None = None,
    *,
    label: str = "",
    span: Span | None = None,
) -> str:
    """The whole document, one <p> per paragraph, with text[start:end] in <mark id=ba-cited>
    (the first piece of it, if it crosses paragraphs) for the page to scroll into view, and
    ``span`` (offsets in ``text``: the short answer) marked again inside it."""
    cited = None
    if start is not None and end is not None and 0 <= start < end <= len(text):
        cited = (start, end)
    pieces = []
    marked = False
    for p_start, p_end in paragraphs(text):
        if cited is not None and cited[0] < p_end and cited[1] > p_start:
            lo, hi = max(p_start, cited[0]), min(p_end, cited[1])
            mark_id = "" if marked else f' id="{MARK_ID}"'
            marked = True
            inner = (
                _lines(text[p_start:lo])
                + f'<mark class="ba-cited"{mark_id}>{_spanned(text, lo, hi, span, _lines)}</mark>'
                + _lines(text[hi:p_end])
            )
        else:
            inner = _lines(text[p_start:p_end])
        pieces.append(f"<p>{inner}</p>")
    head = f'<div class="ba-viewer-title">{esc(title)}</div>'
    if label:
        head += f'<div class="ba-viewer-label">{esc(label)}</div>'
    head = f'<div class="ba-viewer-head">{head}</div>'
    return f'<div class="ba-viewer">{head}<div class="ba-doc">{"".join(pieces)}</div></div>'


def _lines(text: str) -> str:
    return "<br>".join(esc(line) for line in text.split("\n"))


def viewer_placeholder(message: str = "") -> str:
    note = message or "Click a source or an [n] marker in an answer to read it in its document."
    return f'<div class="ba-viewer ba-viewer-empty">{esc(note)}</div>'


def viewer_for(citation: Citation, text: str | None, span: Span | None = None) -> str:
    """The viewer for one citation, or a message when its document is gone or changed;
    ``span`` (offsets in the quote: the short answer) is marked inside the cited span."""
    label = f"Source [{citation.number}], paragraph {citation.paragraph}"
    if text is None:
        return viewer_placeholder(
            f"“{citation.title}” is no longer in the library (it was deleted or re-indexed)."
        )
    if not quote_matches(text, citation):
        return document_html(
            citation.title, text, label=label + " (the document has changed since the answer)"
        )
    return document_html(
        citation.title,
        text,
        citation.char_start,
        citation.char_end,
        label=label,
        span=_in_document(citation, span),
    )
