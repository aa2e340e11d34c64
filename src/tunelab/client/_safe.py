"""Printing strings the user (or a trial, or a page) controls without letting them drive the terminal.

An experiment name, a trial's error or a parameter value may hold escape sequences (``\\x1b[2J``, a
hyperlink, a bell, ``\\r`` to overwrite a line) or Rich markup (``[red]``, or ``tunelab[postgres]``, which
Rich would swallow as a tag). Two layers:

* :class:`SafeConsole` shows control characters visibly (``\\x1b``) in every string Rich renders: print
  arguments and table cells alike, so nothing the CLI prints can reach the terminal raw;
* :func:`safe` is for a user string put into a markup template: controls shown, markup escaped, and line
  breaks shown too (a name must not fake a line of output).
"""

from __future__ import annotations

import re
from typing import TextIO

from rich.console import Console, HighlighterType, JustifyMethod, OverflowMethod
from rich.markup import escape
from rich.style import Style
from rich.text import Text

# C0 and C1 controls, DEL, and the invisible format characters that reorder or hide text (bidi overrides,
# zero-width characters, line/paragraph separators). Tab and newline are handled by ``newlines``.
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff"
_KEEP_LINES = re.compile(f"[{_CONTROLS}]")
_ONE_LINE = re.compile(f"[\t\n{_CONTROLS}]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")


def visible_controls(text: str, *, newlines: bool = False) -> str:
    """``text`` with every control character written as an escape; ``newlines`` keeps line breaks."""
    return (_KEEP_LINES if newlines else _ONE_LINE).sub(_visible, text)


def for_terminal(text: str, stream: TextIO) -> str:
    """Data the CLI passes through (an export to stdout): untouched into a pipe or a file, where it must stay
    byte-exact, but with its control characters made visible when ``stream`` is a terminal."""
    isatty = getattr(stream, "isatty", None)
    return visible_controls(text, newlines=True) if isatty is not None and isatty() else text


def safe(value: object, *, newlines: bool = False) -> str:
    """A user value ready for a Rich markup template: controls visible, markup characters escaped."""
    return escape(visible_controls(str(value), newlines=newlines))


class SafeConsole(Console):
    """A console whose every rendered string has its control characters made visible (line breaks kept:
    the CLI's own messages have them)."""

    def render_str(
        self,
        text: str,
        *,
        style: str | Style = "",
        justify: JustifyMethod | None = None,
        overflow: OverflowMethod | None = None,
        emoji: bool | None = None,
        markup: bool | None = None,
        highlight: bool | None = None,
        highlighter: HighlighterType | None = None,
    ) -> Text:
        return super().render_str(
            visible_controls(text, newlines=True), style=style, justify=justify, overflow=overflow,
            emoji=emoji, markup=markup, highlight=highlight, highlighter=highlighter,
        )
