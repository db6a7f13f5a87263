"""The character sets the extension decodes text from, when someone else names the charset:
an endpoint caller's ``Content-Type`` and the answer to a script's ``sdk.http`` request.

Only an allow-list: Python's codecs include some whose decoding is quadratic in the input
(``punycode``; ``idna`` on top of it) or that are not text encodings at all (``rot13``,
``zlib``), and a caller must not pick those. The list is the encodings of the WHATWG Encoding
Standard that browsers decode (UTF-8, UTF-16, the legacy single-byte and CJK ones), each a
table or state machine in C whose cost grows linearly with the input. UTF-7 (a known XSS
vector, not in the standard) and UTF-32 (not in the standard, and the slowest of all) are
left out.

No Flask, no database: used by the endpoint blueprint and by ``capabilities.http`` alike.
"""

from __future__ import annotations

import codecs
import re
from typing import Final

DEFAULT: Final = "utf-8"

# Python's canonical codec names (``codecs.lookup(label).name``) of the accepted charsets.
ALLOWED_CHARSETS: Final = frozenset(
    {
        "utf-8",
        "utf-16",
        "utf-16-le",
        "utf-16-be",
        "ascii",
        "iso8859-1",
        "cp1252",
        *(f"iso8859-{n}" for n in (2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16)),
        *(f"cp125{n}" for n in (0, 1, 3, 4, 5, 6, 7, 8)),
        "cp874",
        "cp866",
        "koi8-r",
        "koi8-u",
        "mac-roman",
        "mac-cyrillic",
        "shift_jis",
        "cp932",
        "euc_jp",
        "iso2022_jp",
        "gb2312",
        "gbk",
        "gb18030",
        "big5",
        "euc_kr",
    }
)
# Labels of the Encoding Standard that Python's codec registry does not know by that name.
EXTRA_LABELS: Final = {
    "windows-874": "cp874",
    "windows-31j": "cp932",
    "x-sjis": "shift_jis",
    "x-euc-jp": "euc_jp",
    "x-gbk": "gbk",
    "x-mac-roman": "mac-roman",
    "x-mac-cyrillic": "mac-cyrillic",
    "iso-8859-8-i": "iso8859-8",
    "unicode-1-1-utf-8": "utf-8",
}
MAX_LABEL_LENGTH: Final = 40
_LABEL_RE = re.compile(r"[a-z0-9][a-z0-9._:+-]*")


class UnsupportedCharset(ValueError):
    """A charset label that is not on the list; ``label`` is what was given, cut short."""

    def __init__(self, label: str) -> None:
        self.label = label[:MAX_LABEL_LENGTH]
        super().__init__(
            f"the charset {self.label!r} is not supported (use UTF-8, UTF-16, ASCII, "
            "ISO-8859-x, windows-125x or another charset of the WHATWG Encoding Standard)"
        )


def codec_for(label: str | None) -> str:
    """The Python codec for a charset label (``None`` or empty: UTF-8), or UnsupportedCharset.

    Labels are matched as the Encoding Standard does: case-insensitively, surrounding
    whitespace and quotes ignored."""
    if label is None:
        return DEFAULT
    name = label.strip().strip("\"'").strip().lower()
    if not name:
        return DEFAULT
    if len(name) > MAX_LABEL_LENGTH or not _LABEL_RE.fullmatch(name):
        raise UnsupportedCharset(label)
    name = EXTRA_LABELS.get(name, name)
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise UnsupportedCharset(label) from None
    if codec not in ALLOWED_CHARSETS:
        raise UnsupportedCharset(label)
    return codec


def decode(data: bytes, codec: str) -> str:
    """``data`` as text; bytes that are not valid in ``codec`` become U+FFFD."""
    if codec not in ALLOWED_CHARSETS:  # a programming error: callers pass codec_for()'s answer
        raise UnsupportedCharset(codec)
    return data.decode(codec, "replace")


def incremental_decoder(codec: str) -> codecs.IncrementalDecoder:
    """A decoder to feed a body chunk by chunk (``decode(chunk)``, then ``decode(b"",
    final=True)``), so that a caller with a deadline can check it between chunks."""
    if codec not in ALLOWED_CHARSETS:
        raise UnsupportedCharset(codec)
    return codecs.getincrementaldecoder(codec)("replace")
