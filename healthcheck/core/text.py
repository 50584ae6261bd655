"""Small text helpers shared by the report, the CLI and the app's downloads."""

from __future__ import annotations

import re
import unicodedata

# Bidirectional controls: U+202E makes "\u202eevil" read "live". No text we store or show keeps them.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def without_bidi(text: str) -> str:
    """`text` without bidirectional control characters."""
    return BIDI_CONTROLS.sub("", text)


def slug(text: str, fallback: str = "partnership") -> str:
    """A file-name-safe form of a name ("Harbour Music + City" -> "harbour-music-city"): accents
    folded to ASCII ("Café" -> "cafe"), apostrophes dropped, at most 60 characters, `fallback`
    when nothing is left."""
    text = re.sub("['\u2019]", "", text)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    s = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-")
    return s or fallback
