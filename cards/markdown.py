"""Text someone wrote, made safe for a place Teams reads as Markdown (TextBlock text, FactSet values, a chat
message's text), so it shows exactly as written and never as formatting.

`escape_markdown` puts a backslash before every character that could start Markdown or HTML (links and
images, bold and italics, code, strike-through, tags and `<at>` mentions, entities), before the marks that
make a line a heading, list item, quote or rule, and between the braces of `{{DATE(...)}}`/`{{TIME(...)}}`,
which Adaptive Cards would format as a date. A bare URL stays as it is (Teams may link it, showing the URL
itself); a link that shows other text than its address cannot be written. Our own texts keep their Markdown:
escape only the values put into them. A TextRun (RichTextBlock) is not read as Markdown and needs none of this.
"""

from __future__ import annotations

import re

# Anywhere: Markdown's inline marks, HTML, and the pipes of a table (`\` too, so an escape written stays as written).
_INLINE = re.compile(r"([\\`*_\[\]<>~|])")
# An entity (`&amp;`, `&#91;`) would show as the character it names; a plain `&` (as in a URL) shows as itself.
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
# `{{` begins an Adaptive Cards date or time function; every brace after the first is escaped.
_FUNCTION = re.compile(r"(?<=\{)\{")
# At the start of a line (after "\n" or a lone "\r", and spaces), followed by a space, the line's end or the same
# mark: a heading, list item, rule or setext underline ("+45 …" or "#tag" is left alone). `>` is escaped above.
_LINE_START = re.compile(r"(?:^|(?<=\r))([ \t]*)([#+\-=])(?=[ \t\r]|$|\2)", re.MULTILINE)
_ORDERED = re.compile(r"(?:^|(?<=\r))([ \t]*\d{1,9})([.)])(?=[ \t\r]|$)", re.MULTILINE)


def escape_markdown(text: str) -> str:
    """`text` as Markdown that Teams shows as the very same characters."""
    text = _INLINE.sub(r"\\\1", text)
    text = _ENTITY.sub(r"\\&", text)
    text = _FUNCTION.sub(r"\\{", text)
    text = _LINE_START.sub(r"\1\\\2", text)
    return _ORDERED.sub(r"\1\\\2", text)
