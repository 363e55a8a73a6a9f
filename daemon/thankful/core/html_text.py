"""HTML mail bodies -> readable plain text with stdlib ``html.parser``. Pure: no I/O.

Scripts and styles are dropped, block elements become line breaks, entities are
unescaped, and link targets are kept in the text ("Join (https://zoom.us/j/1)") because
interview links are evidence. Quoted history (``<blockquote>``) is prefixed with "> " so
the quote stripper treats it like plain-text quoting.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

#: Input beyond this many characters is ignored (HTML mails are far smaller).
MAX_HTML = 600_000
#: Tags read (start and end); the rest is cut. html.parser costs ~8 µs a tag: 600 KB of
#: "<div>" took over a second; a heavy newsletter has a few thousand.
MAX_TAGS = 20_000


class _TooManyTagsError(Exception):
    """Stops the parser at ``MAX_TAGS``."""

_BLOCK = frozenset({
    "p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "hr", "section", "article", "header", "footer", "pre", "dl", "dt", "dd",
    "address", "center", "tbody", "thead", "tfoot", "form", "fieldset", "main", "nav",
})
_PARAGRAPH = frozenset({
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "blockquote", "hr", "pre", "dl",
})
_SKIP = frozenset({"script", "style", "head", "title", "noscript", "template", "svg"})
_VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "col", "area", "base", "wbr"})
_LINK_SCHEMES = ("http://", "https://", "tel:")
# A "<" with no ">" before the next "<" cannot start a tag; html.parser rescans to the end
# for each of those (quadratic: 40 KB of "<a" took 2 s), so escape them first. The
# lookahead stops at the next "<" or ">", which keeps this substitution linear.
_STRAY_LT = re.compile(r"<(?![^<>]*>)")
_DATA_URI = re.compile(r"data:[^\"'\s>]{64,}")
_HSPACE = re.compile(r"[ \t\f\v\u00a0\u200b]+")
_BLANKS = re.compile(r"\n{3,}")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.has_text = False  # a flag, not a join per chunk: that was quadratic
        self.line_depth = 0
        self.skip = 0
        self.quote = 0
        self.href: str | None = None
        self.link_text: list[str] = []
        self.tags = 0

    def _count_tag(self) -> None:
        self.tags += 1
        if self.tags > MAX_TAGS:
            raise _TooManyTagsError

    def flush(self) -> None:
        if self.has_text:
            line = "".join(self.current).strip()
            self.lines.append("> " * self.line_depth + line)
        self.current = []
        self.has_text = False
        self.line_depth = self.quote

    def blank(self) -> None:
        self.flush()
        if self.lines and self.lines[-1] != "> " * self.quote:
            self.lines.append("> " * self.quote)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._count_tag()
        if tag in _SKIP:
            if tag not in _VOID:
                self.skip += 1
            return
        if tag == "br":
            if self.has_text:
                self.flush()
            else:
                self.blank()
        elif tag in _PARAGRAPH:
            self.blank()
        elif tag in _BLOCK:
            self.flush()
        if tag == "blockquote":
            self.quote += 1
            self.line_depth = self.quote
        elif tag == "a":
            href = (dict(attrs).get("href") or "").strip()
            self.href = href if href.lower().startswith(_LINK_SCHEMES) else None
            self.link_text = []
        elif tag in ("td", "th"):
            self.current.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        self._count_tag()
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if tag == "a" and self.href:
            shown = "".join(self.link_text[:50]).strip()
            if self.href.startswith("tel:"):  # "+1 555 ..." shown for tel:+1555...: same number
                seen = _digits(self.href) in _digits(shown)
            else:
                seen = self.href in shown
            if not seen:
                self.current.append(f" ({self.href})" if shown else self.href)
                self.has_text = True
            self.href = None
        if tag == "blockquote":
            self.blank()
            self.quote = max(0, self.quote - 1)
            self.line_depth = self.quote
        elif tag in _PARAGRAPH:
            self.blank()
        elif tag in _BLOCK:
            self.flush()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        data = _HSPACE.sub(" ", data.replace("\r", " ").replace("\n", " "))
        if not self.has_text:
            if not data.strip():
                return
            self.line_depth = self.quote
            self.has_text = True
        self.current.append(data)
        if self.href is not None and len(self.link_text) < 50:
            self.link_text.append(data)


def html_to_text(markup: str, problem: Callable[[str], None] | None = None) -> str:
    """Readable text from an HTML body; never raises.

    :param problem: told, in one line, when the HTML was cut (over ``MAX_HTML``
        characters or ``MAX_TAGS`` tags).
    """
    if len(markup) > MAX_HTML and problem is not None:
        problem(f"HTML longer than {MAX_HTML} characters: cut")
    markup = markup[:MAX_HTML].replace("\x00", "")
    markup = _STRAY_LT.sub("&lt;", _DATA_URI.sub("data:", markup))
    parser = _Extractor()
    try:
        parser.feed(markup)
        parser.close()
    except _TooManyTagsError:
        if problem is not None:
            problem(f"HTML with more than {MAX_TAGS} tags: the rest was cut")
    except Exception:
        pass
    parser.flush()
    lines = [_HSPACE.sub(" ", line).strip() for line in parser.lines]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()
