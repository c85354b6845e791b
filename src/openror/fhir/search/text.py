"""Text folding and French full-text terms for string search and ``_content`` (spec c.1; issue 3 point 3).

``fold`` is the one normalisation of string index rows and of string search values: Unicode NFKD,
combining marks removed, ``casefold``, whitespace runs collapsed to one space and trimmed. So
``Hôpital  Saint-ÉLOI`` and ``hopital saint-eloi`` compare equal, on SQLite and PostgreSQL alike,
because the database only ever sees folded text.

``content_terms`` turns text into ``_content`` terms: fold, split into words (letters and digits),
stem each word with the Snowball French stemmer (``snowballstemmer``, BSD). Index and query go through
the same function, so ``hospitalisation`` finds ``Hospitalisations``. The pure-Python stemmer costs
~100 µs a word, hence the cache: a directory's vocabulary is small (tens of thousands of words).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import snowballstemmer

_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[^\W_]+")

MAX_TERM_LENGTH = 64
"""Longer words are not indexed (``idx_word.term`` is 64 characters; such words are not prose)."""

_LOCAL = threading.local()  # a Snowball stemmer keeps state while it works: one per thread


def fold(text: str) -> str:
    """Case- and accent-insensitive form: NFKD, combining marks stripped, casefolded, whitespace collapsed."""
    # Short strings (codes, displays, names) repeat across resources: cache them.
    return _fold_cached(text) if len(text) <= _CACHED_LENGTH else _fold(text)


_CACHED_LENGTH = 200


def _fold(text: str) -> str:
    if text.isascii():
        # Fast path (codes, identifiers, many names): no marks to strip.
        return _SPACES.sub(" ", text.casefold()).strip()
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    # casefold can produce characters that decompose again (and marks to strip): a second pass
    # keeps fold idempotent.
    folded = unicodedata.normalize("NFKD", stripped.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return _SPACES.sub(" ", folded).strip()


_fold_cached = lru_cache(maxsize=65536)(_fold)


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    stemmer = getattr(_LOCAL, "stemmer", None)
    if stemmer is None:
        stemmer = _LOCAL.stemmer = snowballstemmer.stemmer("french")
    stemmed: str = stemmer.stemWord(word)
    return stemmed


def content_terms(text: str) -> list[str]:
    """``_content`` terms of ``text``: French Snowball stems of its folded words, in order (duplicates kept)."""
    if len(text) <= _CACHED_LENGTH:
        return list(_terms_cached(text))
    return _terms(text)


def _terms(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(fold(text)) if len(w) <= MAX_TERM_LENGTH]


@lru_cache(maxsize=65536)
def _terms_cached(text: str) -> tuple[str, ...]:
    return tuple(_terms(text))
