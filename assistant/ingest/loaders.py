"""Files -> (title, text). The text is what offsets point into and what the source viewer shows."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
_TITLE_MAX = 200


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
    # Control characters (other than newline and tab) are never meaningful text.
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text)


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
    """Text of a PDF through LlamaIndex's PDF reader (pypdf), pages joined by blank lines."""
    import tempfile

    from llama_index.readers.file import PDFReader

    try:
        with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
            handle.write(data)
            handle.flush()
            pages = PDFReader(return_full_document=False).load_data(Path(handle.name))
    except Exception as exc:
        message = str(exc) or type(exc).__name__
        if "encrypt" in message.lower() or "password" in message.lower():
            raise Unreadable("password-protected PDF; remove the password first") from exc
        raise Unreadable(f"unreadable PDF ({message[:120]})") from exc
    paragraphs = []
    for page in pages:
        paragraphs.extend(_reflow(page.text))
    return None, _clean("\n\n".join(paragraphs))


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
