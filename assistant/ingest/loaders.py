"""Files -> (title, text). The text is what offsets point into and what the source viewer shows."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
_TITLE_MAX = 200
# Bounds on what a PDF may cost (see _pdf): bytes per decompressed stream and per page's
# drawing instructions (pypdf's text extraction slows down faster than linearly with them),
# characters of text, pages, and seconds in all.
PDF_STREAM_LIMIT = 10_000_000
PDF_PAGE_CONTENT_LIMIT = 1_000_000
PDF_TEXT_LIMIT = 5_000_000
PDF_PAGE_LIMIT = 5_000
PDF_SECONDS = 60.0


class Unreadable(Exception):
    """A file that cannot be ingested; the message says why, for the skipped list."""


@dataclass(frozen=True)
class LoadedDocument:
    title: str
    text: str


def load(path: Path, data: bytes) -> LoadedDocument:
    """Turn a file's bytes into a document, or raise Unreadable with the reason."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise Unreadable(f"unsupported file type {suffix or '(none)'}; use {', '.join(SUPPORTED)}")
    if not data.strip():
        raise Unreadable("empty file")
    if suffix == ".pdf":
        title, text = _pdf(path, data)
    else:
        raw = _decode(data)
        if suffix in (".html", ".htm"):
            title, text = _html(raw)
        else:
            title, text = None, _clean(raw)
    text = text.strip("\n")
    if not text.strip():
        raise Unreadable("no text found in the file")
    return LoadedDocument(title=title or _first_line_title(text) or path.stem, text=text)


def _decode(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise Unreadable("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unreadable(
            f"not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8"
        ) from exc


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Control characters (other than newline and tab; C1 too) are never meaningful text.
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", "", text)


def _first_line_title(text: str) -> str | None:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line if len(line) <= _TITLE_MAX else None
    return None


_BLOCKS = [
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "blockquote",
    "pre",
    "td",
    "th",
    "dt",
    "dd",
    "figcaption",
    "caption",
    "title",
    "address",
    "summary",
]


def _html(raw: str) -> tuple[str | None, str]:
    """Visible text of an HTML page, one block element per paragraph. Scripts never survive."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(raw, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "iframe", "object", "svg"]):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    if soup.title:
        soup.title.decompose()
    heading = soup.find("h1")
    if not title and heading:
        title = heading.get_text(" ", strip=True)
    blocks = []
    for element in soup.find_all(_BLOCKS):
        if element.find(_BLOCKS):
            continue  # the inner block elements are taken on their own
        block = " ".join(element.get_text(" ", strip=True).split())
        if block:
            blocks.append(block)
    if not blocks:
        blocks = [" ".join(soup.get_text(" ", strip=True).split())]
    return (title[:_TITLE_MAX] if title else None), _clean("\n\n".join(blocks))


def _pdf(path: Path, data: bytes) -> tuple[str | None, str]:
    """Text of a PDF (pypdf, as LlamaIndex's PDFReader reads it), pages joined by blank lines.

    A PDF is compressed, so a small upload can expand enormously (a "PDF bomb"), and a page of
    a few megabytes of drawing instructions takes minutes to read. Hence the PDF_* bounds: a
    stream over its limit refuses the file, a page over its limit is left out (with a
    warning), and reading stops with a message past the text, page or time limit.
    """
    import contextlib
    import io

    import pypdf

    limits: Any = getattr(pypdf, "apply_configuration", None)  # pypdf >= 6
    bounded = (
        limits(
            zlib_maximum_output_length=PDF_STREAM_LIMIT,
            lzw_maximum_output_length=PDF_STREAM_LIMIT,
            run_length_maximum_output_length=PDF_STREAM_LIMIT,
            maximum_declared_stream_length=PDF_STREAM_LIMIT,
        )
        if limits
        else contextlib.nullcontext()
    )
    try:
        with bounded:
            reader = pypdf.PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not _opens_without_password(reader):
                raise Unreadable("password-protected PDF; remove the password first")
            paragraphs = _pdf_paragraphs(path, reader)
    except Unreadable:
        raise
    except Exception as exc:  # pypdf raises many kinds; each becomes a skipped file
        name = type(exc).__name__
        message = str(exc) or name
        if "decrypt" in name.lower() or "password" in message.lower():
            raise Unreadable("password-protected PDF; remove the password first") from exc
        if "Limit" in name:
            raise Unreadable(
                "the PDF expands to more data than a document may hold (a compressed "
                "stream over the limit); it is refused"
            ) from exc
        raise Unreadable(f"unreadable PDF ({name}: {message[:120]})") from exc
    return None, _clean("\n\n".join(paragraphs))


def _pdf_paragraphs(path: Path, reader: Any) -> list[str]:
    import time

    pages = len(reader.pages)
    if pages > PDF_PAGE_LIMIT:
        raise Unreadable(f"the PDF has {pages:,} pages (the limit is {PDF_PAGE_LIMIT:,}); split it")
    deadline = time.monotonic() + PDF_SECONDS
    paragraphs: list[str] = []
    chars = oversized = 0
    for number, page in enumerate(reader.pages, start=1):
        if time.monotonic() > deadline:
            raise Unreadable(
                f"reading the PDF took over {PDF_SECONDS:g} s (stopped at page {number} of "
                f"{pages}); split it, or save it as text"
            )
        contents = page.get_contents()
        if contents is not None and len(contents.get_data()) > PDF_PAGE_CONTENT_LIMIT:
            oversized += 1
            log.warning(
                "%s: page %d has over %d bytes of drawing instructions; its text is left out",
                path.name,
                number,
                PDF_PAGE_CONTENT_LIMIT,
            )
            continue
        text = page.extract_text() or ""
        chars += len(text)
        if chars > PDF_TEXT_LIMIT:
            raise Unreadable(
                f"the PDF holds more than {PDF_TEXT_LIMIT:,} characters of text; "
                "split it into smaller files"
            )
        paragraphs.extend(_reflow(text))
    if oversized and not "".join(paragraphs).strip():
        raise Unreadable(
            f"its pages hold over {PDF_PAGE_CONTENT_LIMIT // 1_000_000} MB of drawing "
            "instructions each (a PDF bomb?); it is refused"
        )
    return paragraphs


def _opens_without_password(reader: Any) -> bool:
    """Encrypted PDFs with an empty user password open for anyone; the rest need one."""
    try:
        return bool(reader.decrypt(""))
    except Exception:  # noqa: BLE001 - an unsupported cipher counts as "needs a password"
        return False


def _reflow(page: str) -> list[str]:
    """Join a PDF page's hard-wrapped lines into paragraphs (a line ending a sentence, or a
    blank line, ends a paragraph)."""
    result: list[str] = []
    current: list[str] = []
    for line in page.splitlines():
        line = line.strip()
        if not line:
            if current:
                result.append(" ".join(current))
                current = []
            continue
        current.append(line)
        if re.search(r"[.!?:][\"'”’)]*$", line) and len(line) < 60:
            result.append(" ".join(current))
            current = []
    if current:
        result.append(" ".join(current))
    return result
