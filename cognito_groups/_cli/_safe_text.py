r"""Text from the service, made safe for the people who read it: terminals and spreadsheets.

Attribute values are chosen by whoever signs up, and error messages come from whatever
answered; neither may act on the reader's terminal or spreadsheet.

* `visible()` shows control characters as escapes (``\x1b``, ``\n``, ``\t``): C0, DEL and
  C1 (escape sequences, bell, cursor moves, 8-bit CSI), the Unicode line and paragraph
  separators, and the bidirectional controls that can reorder what a line appears to say
  (the "Trojan Source" characters), and the invisible characters that make two different
  values look the same (zero-width space, word joiner, invisible operators, the byte order
  mark, soft hyphen; not the zero-width joiner and non-joiner, which emoji and several
  scripts need). One value is then always one line, and it cannot move the
  cursor, change colours, set the title or ring the bell. A backslash is left as it is. A
  lone surrogate (``\ud800``, which the service can send: its JSON may hold any ``\uXXXX``)
  is shown as its escape too: no UTF-8 text can hold it.
* `display_width()`, `pad()` and `cut()` measure, pad and cut by the columns a terminal gives
  each character (wide East Asian characters take two, combining marks none), with
  ``wcwidth``; `cut()` never splits a character and marks the cut with ``…``.
* `neutralize_formula()` prefixes a single quote to a CSV cell that a spreadsheet would
  run as a formula (it begins with ``=``, ``+``, ``-``, ``@``, tab or carriage return), as
  OWASP recommends against CSV injection (CWE-1236).
* `json_for_terminal()` writes the same characters, and lone surrogates, as ``\uXXXX``
  escapes inside JSON text: the values stay exactly the same once parsed, and the text is
  safe to print and valid UTF-8.
* `encodable()` replaces each lone surrogate with U+FFFD, the replacement character, for CSV,
  which has no escapes: the file stays valid UTF-8 that every spreadsheet and reader opens.
"""

from __future__ import annotations

import re

from wcwidth import wcswidth, wcwidth

__all__ = [
    "cut",
    "display_width",
    "encodable",
    "json_for_terminal",
    "neutralize_formula",
    "pad",
    "visible",
]

_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\xad\u180e\u200b\u2028\u2029\u061c\u200e\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff\ud800-\udfff]"
)
#: A code point no UTF-8 text can hold: a surrogate, alone (a pair arrives as one character).
_SURROGATE = re.compile("[\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control character shown as an escape (see the module docstring)."""
    return _UNSAFE.sub(_escape, text)


def display_width(text: str) -> int:
    """The columns ``text`` (already made `visible()`) takes on a terminal."""
    width = wcswidth(text)
    return len(text) if width < 0 else width


def pad(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` terminal columns."""
    return text + " " * max(0, width - display_width(text))


def cut(text: str, width: int) -> str:
    """``text`` (already made `visible()`) in at most ``width`` columns: cut, it ends in ``…``.

    Whole characters only: a wide character that would not fit is left out with what follows
    it (the cell is then one column narrower, which `pad()` fills), and combining marks stay
    with the character they mark.
    """
    if display_width(text) <= width:
        return text
    room = width - 1  # the columns left for the text before the "…"
    if room < 0:
        return ""
    kept: list[str] = []
    used = 0
    for char in text:
        columns = wcwidth(char)
        columns = 1 if columns < 0 else columns
        if used + columns > room:
            break
        kept.append(char)
        used += columns
    fitted = "".join(kept)
    while fitted and display_width(fitted) > room:  # a sequence measured unlike its parts
        fitted = fitted[:-1]
    return fitted + "…"


def neutralize_formula(cell: str) -> str:
    """``cell``, with a leading single quote if a spreadsheet would run it as a formula."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def encodable(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD (see the module's docstring)."""
    return _SURROGATE.sub("\ufffd", text)


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_for_terminal(text: str) -> str:
    """JSON text in which the characters ``json.dumps`` leaves raw are escaped.

    ``json.dumps(..., ensure_ascii=False)`` escapes only C0; DEL, C1, the line separators and
    the bidirectional controls would go out raw, and a lone surrogate would make the text
    impossible to write as UTF-8. They occur only inside strings, where a JSON escape means
    the same character, so the parsed values do not change.
    """
    return _UNSAFE.sub(_json_escape, text)
