"""Japanese index order (after JIS X 4061): readings compared as 清音, then 濁音 and small kana."""

from __future__ import annotations

import unicodedata
from typing import NamedTuple

#: The rows of the 五十音 table, each with the kana that belong to it (清音, large).
ROWS: tuple[tuple[str, str], ...] = (
    ("あ", "あいうえお"),
    ("か", "かきくけこ"),
    ("さ", "さしすせそ"),
    ("た", "たちつてと"),
    ("な", "なにぬねの"),
    ("は", "はひふへほ"),
    ("ま", "まみむめも"),
    ("や", "やゆよ"),
    ("ら", "らりるれろ"),
    ("わ", "わゐゑをん"),
)
ROW_OF = {kana: row for row, members in ROWS for kana in members}
ORDER = {kana: i for i, kana in enumerate("".join(members for _, members in ROWS))}
#: Each kana's vowel, for ー: カー is read かあ.
VOWEL = dict(
    zip(
        "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわゐゑを",
        "あいうえおあいうえおあいうえおあいうえおあいうえおあいうえおあいうえおあうおあいうえおあいえお",
        strict=True,
    )
)
SMALL = dict(zip("ぁぃぅぇぉっゃゅょゎゕゖ", "あいうえおつやゆよわかけ", strict=True))
LONG_VOWEL = "ー"


class Folded(NamedTuple):
    """One kana of a reading: its base (清音, large) and how it differs from it."""

    base: str
    voicing: int  # 0 清音, 1 濁音, 2 半濁音
    small: bool


def hiragana(text: str) -> str:
    """Katakana (also half-width) as hiragana; everything else unchanged."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def fold(char: str) -> Folded:
    """Split a hiragana character into base kana, voicing and smallness."""
    small = char in SMALL
    char = SMALL.get(char, char)
    decomposed = unicodedata.normalize("NFD", char)
    voicing = 0
    if len(decomposed) == 2:
        voicing = {"\u3099": 1, "\u309a": 2}.get(decomposed[1], 0)
        char = decomposed[0]
    return Folded(char, voicing, small)


def is_kana(text: str) -> bool:
    """Whether ``text`` is a reading: kana, ー and separators only, with at least one kana."""
    folded = hiragana(text)
    return any(c in ORDER or c in SMALL for c in folded) and all(
        c in ORDER or c in SMALL or c == LONG_VOWEL or fold(c).base in ORDER or not c.isalnum()
        for c in folded
    )


def kana_of(reading: str) -> list[Folded]:
    """The reading's kana, folded, with ー replaced by the vowel it lengthens."""
    result: list[Folded] = []
    for char in hiragana(reading):
        if char == LONG_VOWEL and result:
            result.append(Folded(VOWEL.get(result[-1].base, result[-1].base), 0, False))
            continue
        folded = fold(char)
        if folded.base in ORDER:
            result.append(folded)
    return result


def sort_key(reading: str) -> tuple:
    """Order readings as a Japanese index does: 清音 first, then 濁音/半濁音, small before large."""
    kana = kana_of(reading)
    primary = tuple(ORDER[k.base] for k in kana)
    secondary = tuple((k.voicing, not k.small) for k in kana)
    return (primary, secondary, hiragana(reading))


def row(reading: str) -> str | None:
    """The 五十音 row (あ, か, さ …) a reading is listed under, or None if it has no kana."""
    kana = kana_of(reading)
    return ROW_OF[kana[0].base] if kana else None


def latin_initial(text: str) -> str:
    """The upper-case Latin letter a text starts with ("" if it starts otherwise)."""
    first = unicodedata.normalize("NFKD", text[:1])[:1].upper()
    return first if "A" <= first <= "Z" else ""


def ascii_word(text: str) -> bool:
    """Whether a heading is written in Latin letters, which sort without a reading."""
    return bool(latin_initial(text))
