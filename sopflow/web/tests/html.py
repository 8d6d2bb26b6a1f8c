"""Reading rendered pages in tests: the text of the element marked with a `data-testid`."""

from __future__ import annotations

from html.parser import HTMLParser

# Text on either side of these tags reads as separate words.
BLOCK = {"td", "th", "tr", "li", "div", "p", "dt", "dd", "br", "table", "thead", "tbody", "ul", "ol"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class _Finder(HTMLParser):
    def __init__(self, testid: str) -> None:
        super().__init__()
        self.testid, self.depth, self.found, self.parts = testid, 0, False, []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth and tag in BLOCK:
            self.parts.append(" ")
        if tag in VOID:
            return
        if self.depth:
            self.depth += 1
        elif not self.found and ("data-testid", self.testid) in attrs:
            self.depth, self.found = 1, True

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag in BLOCK:
            self.parts.append(" ")
        if self.depth and tag not in VOID:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def text_of(html: bytes | str, testid: str) -> str:
    """Whitespace-squeezed text of the first element with that `data-testid`; fails if absent."""
    finder = _Finder(testid)
    finder.feed(html.decode() if isinstance(html, bytes) else html)
    assert finder.found, f"no element with data-testid={testid!r}"
    return " ".join("".join(finder.parts).split())
