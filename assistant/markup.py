"""The one escaping rule: text that came from a document, a file name or a user is never
markup. Wherever it is shown, every character that the reader of the output would take for
syntax is written so that it reads back as that same character and nothing else.

Two outputs, two spellings of the same rule:

- ``inert`` is for the web page, where one piece of text may land in an HTML component, in a
  Markdown component, or in HTML that a Markdown component passes through (the chat). HTML's
  five characters become entities, as html.escape makes them; so does every character that can
  start Markdown or its extensions inline (links, images, emphasis, code, tables, maths), the
  start of an autolink (`://`, `www.`, `@`) and whatever would start a block at the beginning
  of a line (a list, a heading underline, an indented code block). A character reference is
  literal text to HTML and to Markdown alike, so the result shows as the original text in all
  three places, and no image, link, element or formula can come of it. Prose characters
  (. , : ! ( ) -) stay as they are elsewhere, so the page's HTML stays readable.
- ``inert_markdown`` is for Markdown files (exported conversations and briefings), which people
  also read as plain text: a backslash before each character that could start markup, which
  Markdown removes and a reader skips easily.
"""

from __future__ import annotations

import re

# HTML's five, as html.escape writes them, and the characters that start markup wherever they
# stand: escapes, code, emphasis, links and images, strikethrough, maths, tables, headings,
# footnotes, e-mail autolinks.
_PAGE = {ord(c): f"&#{ord(c)};" for c in "\\`*_[]~$|#^@"} | {
    ord("&"): "&amp;",
    ord("<"): "&lt;",
    ord(">"): "&gt;",
    ord('"'): "&quot;",
    ord("'"): "&#x27;",
}
_URL_START = re.compile(r"://|(?<![\w.])(www)\.", re.IGNORECASE)
# At a line's start: indentation (an indented code block), a list item or a setext underline.
_LINE_START = re.compile(r"^([ \t]+)|^(\d{1,9})([.)])|^([-+=])", re.MULTILINE)


def _url_start(match: re.Match[str]) -> str:
    return "&#58;//" if match.group(1) is None else f"{match.group(1)}&#46;"


def _line_start(match: re.Match[str]) -> str:
    space, digits, dot, sign = match.groups()
    if space is not None:
        return f"&#{ord(space[0])};{space[1:]}"
    if digits is not None:
        return f"{digits}&#{ord(dot)};"
    return f"&#{ord(sign)};"


def inert(text: str) -> str:
    """``text`` for any component of the web page: shown as itself, never as markup."""
    escaped = _URL_START.sub(_url_start, text.translate(_PAGE))
    return _LINE_START.sub(_line_start, escaped)


# In a Markdown file: what can start a link, an image, an HTML tag, an autolink or a code
# span. Emphasis and headings are left readable: they cannot load or run anything, and an
# entity (&lt;img&gt;) only ever reads as text.
_FILE_ACTIVE = re.compile(r"([\\\[\]<`])")


def inert_markdown(text: str) -> str:
    """``text`` for a Markdown file: a quoted `![x](http://...)` does not load an image (a
    beacon) when the file is opened, nor do `<img onerror=...>` or `[link](javascript:...)`
    become live. The text reads the same once rendered."""
    return _FILE_ACTIVE.sub(r"\\\1", text)
