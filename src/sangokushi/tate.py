"""The vertical-setting policy: which numbers, letters and marks stand upright in a column."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

TCY = "tcy"
UPRIGHT = "upright"

# Numbers of up to this many digits are set 縦中横 (two half-width digits fill one 字, as
# jlreq and JIS X 4051 have it); longer ones stand upright digit by digit (2023 → ２０２３).
TCY_DIGITS = 2

# Alternatives are tried left to right at each position: a Latin word swallows the
# digits that belong to it (GPT-3.5, Llama 2, H100) before a bare number can match.
TOKEN = re.compile(
    r"""
    (?P<latin>[A-Za-z][A-Za-z0-9]*(?:[-.'’&+/][A-Za-z0-9]+)*(?:\ [0-9][A-Za-z0-9]*(?:\.[0-9]+)*)*)
    | (?P<alnum>[0-9]+(?:[.,][0-9]+)*[A-Za-z][A-Za-z0-9-]*)
    | (?P<dotted>[0-9]+(?:\.[0-9]+){2,})
    | (?P<number>[0-9]+(?:[.,][0-9]+)*)(?P<percent>%?)
    | (?P<marks>[!?]{1,2})
    """,
    re.VERBOSE,
)
ACRONYM = re.compile(r"[A-Z]{1,4}")
# A lone half-width mark becomes its full-width form, which stands upright by itself.
FULL_WIDTH_MARKS = {"!": "！", "?": "？"}
# A pair of half-width parentheses with what they enclose.
PAIR = re.compile(r"\(([^()]*)\)")
# What ``orient`` may set otherwise than as written: a text without any of these is one plain
# run, and only its parentheses look at the characters beside it.
ORIENTED = re.compile(r"[A-Za-z0-9!?()]")
PARENTHESES = re.compile(r"[()]")


def is_japanese(char: str) -> bool:
    """A character set upright in a vertical line: East Asian Wide or Fullwidth."""
    return bool(char) and unicodedata.east_asian_width(char) in ("W", "F")


def widen_parentheses(text: str, before: str = "", after: str = "") -> str:
    """``text`` with its half-width ( ) made full-width where they belong to Japanese text.

    A pair is widened when it encloses Japanese or opens after it (「当時(と言っても…)」,
    「GPT-3.5(ChatGPTの無料版に搭載)」, 「語(LLM)を」); one of Latin text (「関数f(x)は」) stays.
    A parenthesis whose partner is in another text node goes by its neighbours. ``before``
    and ``after`` are the characters printed next to ``text``.
    """
    if not PARENTHESES.search(text):
        return text
    chars = list(text)

    def near(index: int) -> str:
        if index < 0:
            return before
        return text[index] if index < len(text) else after

    paired: set[int] = set()
    for match in PAIR.finditer(text):
        start, end = match.start(), match.end() - 1
        paired.update((start, end))
        if any(map(is_japanese, match[1])) or is_japanese(near(start - 1)):
            chars[start], chars[end] = "（", "）"
    for index, char in enumerate(text):
        lone = char in "()" and index not in paired
        if lone and (is_japanese(near(index - 1)) or is_japanese(near(index + 1))):
            chars[index] = "（" if char == "(" else "）"
    return "".join(chars)


def orient(
    text: str,
    tcy_digits: int = TCY_DIGITS,
    before: str = "",
    after: str = "",
    punctuation: bool = True,
) -> list[tuple[str, str | None]]:
    """``text`` split into (run, class) pairs; class is ``tcy``, ``upright`` or None.

    The runs joined may differ from ``text`` only by the width of marks and parentheses.

    - 1–``tcy_digits`` digit numbers (7月19日, 2ヶ月) and short decimals (3.5) are
      縦中横; longer numbers (2023年, 2000万) are upright digit by digit, as in
      Japanese vertical typesetting; ``%`` after a number stands upright too.
    - Latin words and names with their numbers (OpenAI, GPT-3.5, Llama 2) stay
      sideways (the default of mixed orientation): they are read as words.
    - All-capital acronyms: two letters (AI) are 縦中横, one, three or four
      letters (X, LLM, AWS, NVDA) upright.
    - Dotted version numbers (1.0.0) stay sideways, read as one unit, not stacked
      as 1 . 0 . 0.
    - A lone half-width ``!`` or ``?`` becomes ``！`` or ``？`` (upright, one 字); a pair
      (``!?``, ``!!``) is 縦中横.
    - Half-width ( ) around Japanese become （ ） (:func:`widen_parentheses`).

    Without ``punctuation`` the text is kept as written: a lone mark is 縦中横 too and
    parentheses stay (for text set in both writing modes from one source, the PDFs' 扉).
    """
    if punctuation:
        text = widen_parentheses(text, before, after)
    runs: list[tuple[str, str | None]] = []
    pos = 0

    def add(run: str, cls: str | None) -> None:
        if not run:
            return
        if cls is None and runs and runs[-1][1] is None:
            runs[-1] = (runs[-1][0] + run, None)
        else:
            runs.append((run, cls))

    for match in TOKEN.finditer(text):
        add(text[pos : match.start()], None)
        pos = match.end()
        if latin := match["latin"]:
            if ACRONYM.fullmatch(latin):
                add(latin, TCY if len(latin) == 2 else UPRIGHT)
            else:
                add(latin, None)
        elif number := match["number"]:
            digits_only = number.isdigit()
            if (digits_only and len(number) <= tcy_digits) or (
                not digits_only and len(number) <= 3
            ):
                add(number, TCY)
                add(match["percent"], UPRIGHT)
            else:
                add(number + match["percent"], UPRIGHT)
        elif dotted := match["dotted"]:
            add(dotted, None)
        elif marks := match["marks"]:
            if len(marks) == 1 and punctuation:
                add(FULL_WIDTH_MARKS[marks], None)
            else:
                add(marks, TCY)
        else:
            add(match.group(), None)
    add(text[pos:], None)
    return runs


KANJI_DIGITS = "〇一二三四五六七八九"


def kansuji(number: int) -> str:
    """``number`` in kanji digit by digit, as pTeX's ``\\kansuji`` (and so jlreq's 第一章)."""
    return "".join(KANJI_DIGITS[int(d)] for d in str(number))


# LaTeX macros for the runs: as written in horizontal text, upright in vertical text (the
# vertical PDF's preamble, sangokushi.book, defines them so).
LATEX_MACROS = {TCY: "sangokushitcy", UPRIGHT: "sangokushiupright"}


def latex(text: str, escape: Callable[[str], str]) -> str:
    """``text`` as LaTeX for either writing mode: its oriented runs in ``LATEX_MACROS``."""
    return "".join(
        escape(run) if cls is None else rf"\{LATEX_MACROS[cls]}{{{escape(run)}}}"
        for run, cls in orient(text, punctuation=False)
    )
