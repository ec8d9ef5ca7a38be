"""A Japanese search splitter that also indexes whole runs of kanji and katakana."""

from __future__ import annotations

import re
from functools import lru_cache

from sphinx.search.ja import DefaultSplitter

# Sphinx's search page splits a query only at non-letters, so 諸葛亮 reaches the index whole,
# while TinySegmenter cuts the same name in running text into 諸葛 + 亮.
RUNS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆ヶ]{2,}|[\u30a1-\u30faー]{2,}")
# Texts whose words are kept: the same text (a repeated phrase, an unchanged paragraph in the
# next build of `sangokushi preview`) is segmented once.
MEMO = 1 << 16


_SEGMENTER = DefaultSplitter({})


@lru_cache(maxsize=MEMO)
def _words(text: str) -> tuple[str, ...]:
    words = _SEGMENTER.split(text)
    seen = set(words)
    return (*words, *(run for run in RUNS.findall(text) if run not in seen))


class JapaneseSplitter(DefaultSplitter):
    """TinySegmenter's words, plus every run of two or more kanji or katakana."""

    def split(self, input: str) -> list[str]:
        return list(_words(input))
