"""The HTML search's Japanese splitter: TinySegmenter's words and runs, each text segmented once."""

from __future__ import annotations

from sphinx.search.ja import DefaultSplitter

from sangokushi import search


def test_words_are_tinysegmenters_and_the_runs_once_per_text() -> None:
    text = "諸葛孔明は大規模言語モデルのオープンソースを掲げた。"
    plain = DefaultSplitter({}).split(text)
    search._words.cache_clear()
    words = search.JapaneseSplitter({}).split(text)
    runs = [run for run in search.RUNS.findall(text) if run not in plain]
    assert words == plain + runs and {"諸葛孔明", "大規模言語"} <= set(runs)
    assert search.JapaneseSplitter({}).split(text) == words
    assert search._words.cache_info().hits == 1
