"""Mail header values that lxp folds itself, because the standard library's folder gets two of
ours wrong.

- A long non-ASCII subject (or display name) becomes several RFC 2047 encoded words. Python
  3.11's folder sometimes puts the space between two words outside the encoded words, where
  decoders drop it ("к обучению" reads "кобучению"), or glues encoded words together.
- A header made of one long token, such as ``List-Unsubscribe: <https://…>``, is turned into an
  encoded word so it can be folded; mail providers then see no address and offer no one-click
  unsubscribe.

``text_header`` and ``address_header`` return header objects that the ``email`` package
writes as they are (its policies write any value with a ``name`` and a ``fold`` method through
that method), on every Python version. Read back, they are plain strings of the intended text.
Pure: no Flask, no database.
"""

from __future__ import annotations

import base64
import unicodedata
from email.headerregistry import Address

MAX_LINE = 78  # RFC 5322's recommended line length, folding whitespace included
_WORD_BYTES = 42  # 56 base64 characters: "Subject: =?utf-8?b?…?=" stays within 78


class FoldedHeader(str):
    """A header value with its folded lines: written as ``lines`` joined by folding
    whitespace; as a string, the text a reader sees."""

    name: str
    lines: tuple[str, ...]

    def __new__(cls, name: str, text: str, lines: list[str]):
        header = super().__new__(cls, text)
        header.name, header.lines = name, tuple(lines)
        return header

    def fold(self, *, policy) -> str:
        """The header as ``email``'s generators write it, ending in the policy's line end."""
        return f"{self.name}: " + (policy.linesep + " ").join(self.lines) + policy.linesep

    @property
    def defects(self) -> tuple:  # read by ``email``'s strict checks of a header object
        return ()


def one_line(text: str) -> str:
    """``text`` without control characters, its runs of whitespace as one space."""
    return " ".join("".join(" " if unicodedata.category(c) == "Cc" else c for c in text).split())


def _needs_encoding(text: str) -> bool:
    return not text.isascii() or "=?" in text


def _encoded_words(text: str, word_bytes: int = _WORD_BYTES) -> list[str]:
    """``text`` as base64 encoded words of whole characters, every space inside a word (a
    decoder ignores the folding whitespace between encoded words)."""
    words, chunk = [], ""
    for char in text:
        if len((chunk + char).encode()) > word_bytes:
            words.append(chunk)
            chunk = ""
        chunk += char
    words.append(chunk)
    return [f"=?utf-8?b?{base64.b64encode(word.encode()).decode('ascii')}?=" for word in words if word]


def _fill(name: str, pieces: list[tuple[str, str]]) -> list[str]:
    """Greedy lines of ``(joiner, piece)`` pairs: a piece that fits goes on the current line
    after its joiner, else it starts a new line (the fold then stands for a space joiner)."""
    lines: list[str] = []
    for joiner, piece in pieces:
        room = MAX_LINE - len(name) - 2 if len(lines) == 1 else MAX_LINE - 1
        if lines and len(lines[-1]) + len(joiner) + len(piece) <= room:
            lines[-1] += joiner + piece
        else:
            lines.append(piece)
    return lines or [""]


def text_header(name: str, text: str) -> FoldedHeader:
    """An unstructured header (Subject): ASCII folded at its spaces, anything else as encoded
    words. Control characters and runs of whitespace become one space (``one_line``)."""
    text = one_line(text)
    if _needs_encoding(text):
        return FoldedHeader(name, text, _fill(name, [("", word) for word in _encoded_words(text)]))
    return FoldedHeader(name, text, _fill(name, [(" ", word) for word in text.split(" ")]))


def verbatim_header(name: str, value: str) -> FoldedHeader:
    """A header written on one line as it is, however long (up to RFC 5322's 998 characters):
    ``List-Unsubscribe: <https://…>`` must stay a plain address in angle brackets."""
    if not value.isascii() or "\r" in value or "\n" in value or len(name) + 2 + len(value) > 998:
        raise ValueError(f"{name}: not a one-line ASCII value: {value!r}")
    return FoldedHeader(name, value, [value])


def address_header(name: str, display_name: str, address: str) -> FoldedHeader:
    """``To``/``From`` with a display name, which is made ``one_line``: an ASCII name as the
    address syntax needs it (quoted where it must be), any other as one encoded word, and the
    address after it. The name is never folded inside: the standard folder loses a long ASCII
    name's address, and the standard library's address parser keeps the folding space between
    two encoded words of a name, which RFC 2047 says to drop, so a split name would read wrong
    to one reader or the other. Names are short (120 characters), far below the 998 limit."""
    display_name = one_line(display_name)
    text = f"{display_name} <{address}>"
    if not _needs_encoding(display_name):
        return FoldedHeader(name, text, [str(Address(display_name=display_name, addr_spec=address))])
    (word,) = _encoded_words(display_name, word_bytes=700)
    return FoldedHeader(name, text, _fill(name, [("", word), (" ", f"<{address}>")]))
