"""Printed page numbers in the EPUBs: a page list and markers where each PDF page begins."""

from __future__ import annotations

import html
import re
import zipfile
from difflib import SequenceMatcher
from pathlib import Path

import pytest
from pypdf import PdfReader

from sangokushi.fidelity import normalize
from support import BY_NAME, FACTS, KANA, page_words

# Each EPUB with the PDF whose pages it marks.
PAIRS = {"epub": "pdf", "epub-tate": "pdf-tate"}
MARK = "\ue000"
# A run this long in common is the same text, not chance.
SAME = 5
# Of a page's first (or a page's last) 16 characters, this many must stand in order just after
# (before) its marker: the 索引's locators are page numbers in print, chapters in the EPUB.
TOP, NEAR, ENOUGH = 16, 40, 10
# What print alone sets: page references, a long table's continuation lines, 目次's leaders.
PRINT_ONLY = re.compile(r"\([0-9]+ページ\)|\(次ページに続く\)|・{3,}[0-9ivx]+")
CONTINUED = "(前ページから続く)"


def pdf_pages(pdf: Path, tate: bool) -> list[str]:
    """Each page's text in the 版面 (no 柱, no ノンブル, no ruby), as poppler reads it."""
    page = FACTS.tate_page if tate else FACTS.page
    head = page.head_mm / 25.4 * 72 - (2 if tate else page.font_pt)
    foot = head + (page.chars * page.font_pt + 6 if tate else page.text_height_pt + page.font_pt)
    texts = []
    for number in range(1, len(PdfReader(pdf).pages) + 1):
        words = [w for w in page_words(pdf, number, "-raw") if w[3] > head and w[1] < foot]
        sizes = sorted((w[2] - w[0]) if tate else (w[3] - w[1]) for w in words if len(w[4]) == 1)
        size = sizes[len(sizes) // 2] if sizes else 0
        small = [w for w in words if ((w[2] - w[0]) if tate else (w[3] - w[1])) < 0.7 * size]
        texts.append(
            normalize(
                "".join(
                    html.unescape(w[4]) for w in words if not (w in small and KANA.fullmatch(w[4]))
                )
            )
        )
    return texts


def epub_text(epub: Path) -> tuple[str, list[str], str, str]:
    """The EPUB's text in reading order with MARK where a page break marker stands.

    Also the labels of its markers in that order, its page list and its pageBreakSource.
    """
    with zipfile.ZipFile(epub) as book:
        opf = book.read("content.opf").decode()
        hrefs = dict(re.findall(r'<item id="([^"]+)" href="([^"]+)"', opf))
        spine = [hrefs[i] for i in re.findall(r'<itemref idref="([^"]+)"', opf)]
        nav = book.read("nav.xhtml").decode()
        parts, labels = [], []
        for name in dict.fromkeys(spine):
            if name == "nav.xhtml":
                continue
            markup = book.read(name).decode()
            body = markup[markup.index("<body") :]
            body = re.sub(r"<(rt|rp)>.*?</\1>", "", body, flags=re.S)
            for found in re.finditer(r'<span[^>]*epub:type="pagebreak"[^>]*>', body):
                labels.append(re.search(r'aria-label="([^"]*)"', found.group()).group(1))
            body = re.sub(r'<span[^>]*epub:type="pagebreak"[^>]*/>', MARK, body)
            parts.append(normalize(html.unescape(re.sub(r"<[^>]+>", "", body))))
    page_list = re.search(r'<nav epub:type="page-list".*?</nav>', nav, re.S)
    source = re.search(r'<meta property="pageBreakSource">([^<]*)</meta>', opf)
    return (
        "".join(parts),
        labels,
        page_list.group() if page_list else "",
        source.group(1) if source else "",
    )


def common(a: str, b: str) -> int:
    """How many characters of ``a`` stand in ``b`` in the same order (runs of two or more)."""
    blocks = SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
    return sum(block.size for block in blocks if block.size >= 2)


def in_epub(piece: str, text: str) -> bool:
    return any(piece[i : i + SAME] in text for i in range(max(1, len(piece) - SAME + 1)))


@pytest.mark.parametrize("edition", sorted(PAIRS))
def test_markers_stand_where_each_printed_page_begins(book: Path, edition: str) -> None:
    source = BY_NAME[PAIRS[edition]]
    pdf = source.published(book)
    tate = source.vertical
    chars = (FACTS.tate_page if tate else FACTS.page).chars
    pages = [PRINT_ONLY.sub("", page) for page in pdf_pages(pdf, tate)]
    index = next(n for n, page in enumerate(pages) if page.startswith("索引"))
    printed = [str(label) for label in PdfReader(pdf).page_labels]
    body = printed.index("1")
    text, labels, page_list, page_source = epub_text(BY_NAME[edition].published(book))

    assert page_source == f"{FACTS.uid}:{source.name}"
    assert labels == printed, "one marker per printed page, in the order of the pages"
    listed = re.findall(r'<a href="([^"#]+)#page-([^"]+)">([^<]+)</a>', page_list)
    assert [label for _, _, label in listed] == printed
    assert all(anchor == label for _, anchor, label in listed)

    pieces = text.split(MARK)  # pieces[n + 1] follows the marker of page n
    plain = text.replace(MARK, "")
    wrong = []
    for n, page in enumerate(pages):
        after = pieces[n + 1]
        if not page:
            # A blank page: its marker stands just before the next page's.
            if after and n + 1 < len(pages):
                wrong.append(
                    f"page {printed[n]} is blank, but text follows its marker: {after[:16]}"
                )
            continue
        after = "".join(pieces[n + 1 :])[:NEAR]
        # The page's first characters; where print alone has its first line (目次's leaders,
        # a table head repeated on the next page), its first two lines.
        # (A long table's head, repeated on the page after the words 前ページから続く.)
        first_line = page[:chars] and not page.startswith(CONTINUED)
        top = page[:TOP] if first_line and in_epub(page[:chars], plain) else page[: 2 * chars]
        if common(top, after) < ENOUGH:
            wrong.append(f"page {printed[n]} begins {top[:24]}…, its marker is before {after}")
        last = next((m for m in range(n - 1, -1, -1) if pages[m]), None)
        # From the body's second page on: the EPUB's root page adds a description after the
        # 扉, and the 索引's locators are page numbers in print, chapters in the EPUB.
        if last is None or not body <= last < index or not in_epub(page[:chars], plain):
            continue
        previous = pages[last]
        if in_epub(previous[-chars:], plain):
            before = "".join(pieces[: n + 1])[-NEAR:]
            if common(previous[-TOP:], before) < ENOUGH:
                wrong.append(
                    f"page {printed[n - 1]} ends …{previous[-24:]}, before marker: {before}"
                )
    assert wrong == []


def spine_text(epub: Path) -> str:
    """The text of an EPUB's documents in reading order, as ``pagemap.place`` reads it."""
    from lxml import etree

    from sangokushi import pagemap

    text = ""
    with zipfile.ZipFile(epub) as ocf:
        opf = ocf.read("content.opf").decode("utf-8")
        hrefs = dict(re.findall(r'<item id="([^"]+)" href="([^"]+\.xhtml)"', opf))
        for idref in re.findall(r'<itemref idref="([^"]+)"', opf):
            name = hrefs.get(idref, "")
            if name.endswith(".xhtml") and name != "nav.xhtml" and "cover" not in name:
                root = etree.fromstring(ocf.read(name))
                pagemap.unmark(root)
                text += pagemap.document_text(root)[0]
    return text


@pytest.mark.parametrize("epub", sorted(PAIRS))
def test_phrase_alignment_places_the_pages_as_difflib_does(
    book: Path, epub: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``pagemap.matching`` (phrases first, so that ×100 takes seconds, not half an hour)
    puts each page where difflib's character alignment of the whole texts puts it."""
    from sangokushi import pagemap

    pages = pagemap.load(BY_NAME[PAIRS[epub]].page_map(book))[1]
    text = spine_text(BY_NAME[epub].published(book))
    placed = pagemap.locate(pages, text)
    assert sum(at is not None for at in placed) > len(pages) * 0.8
    whole = lambda a, b: SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()  # noqa: E731
    monkeypatch.setattr(pagemap, "matching", whole)
    assert pagemap.locate(pages, text) == placed


def test_placing_an_edited_text_again_aligns_only_what_changed(
    book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The texts between phrases are aligned once per process (``pagemap.gap_blocks``): after
    an edit, as in the next build of a preview, only the gaps the edit touched again, and
    the pages go where a fresh alignment puts them."""
    from sangokushi import pagemap

    pages = pagemap.load(BY_NAME["pdf"].page_map(book))[1]
    text = spine_text(BY_NAME["epub"].published(book))
    made: list[str] = []  # the texts between phrases aligned character by character

    class Counted(SequenceMatcher):
        def __init__(self, junk: object, a: object, b: object, **kwargs: object) -> None:
            if isinstance(a, str):
                made.append(a)
            super().__init__(junk, a, b, **kwargs)

    monkeypatch.setattr(pagemap, "SequenceMatcher", Counted)
    pagemap.gap_blocks.cache_clear()
    middle = len(text) // 2
    pagemap.locate(pages, text[:middle] + "〔改〕" + text[middle:])
    first = len(made)
    made.clear()
    edited = text[:middle] + "〔再改〕" + text[middle:]
    placed = pagemap.locate(pages, edited)
    assert first > 5 and len(made) <= 2, (len(made), first)
    pagemap.gap_blocks.cache_clear()
    assert pagemap.locate(pages, edited) == placed


def test_chapters_that_say_the_same_things_align_piece_by_piece(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Chapters that repeat each other (every phrase a hundred times in the ×100 bench book)
    are aligned between the phrases both texts have once, in the order both have them: each
    page where difflib's alignment of the whole puts it. A phrase each text has once but in
    another place (a note print sets first and the EPUB last) does not pull pages with it."""
    from sangokushi import pagemap

    body = "同じ話が続く。ここでも同じ、そしてまた同じ。"
    chapters = [f"第{n}章の始まり。{body * 4}" for n in range(1, 41)]
    note = "この版だけの注記。"
    printed = [note]
    for chapter in chapters:
        printed += [chapter[:30], chapter[30:]]
    pages = [pagemap.Page(str(n), text) for n, text in enumerate(printed, 1)]
    text = "".join(chapters) + note
    starts = [None]
    for chapter in chapters:
        at = text.index(chapter)
        starts += [at, at + 30]
    placed = pagemap.locate(pages, text)
    assert placed == starts
    whole = lambda a, b: SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()  # noqa: E731
    monkeypatch.setattr(pagemap, "phrase_blocks", whole)
    assert pagemap.locate(pages, text) == placed


def test_the_longest_rising_run_of_pairs() -> None:
    from sangokushi.pagemap import increasing

    assert increasing([]) == []
    assert increasing([(0, 5), (1, 1), (2, 2), (3, 9), (4, 3)]) == [(1, 1), (2, 2), (4, 3)]
    assert increasing([(0, 3), (1, 2), (2, 1)]) in ([(0, 3)], [(1, 2)], [(2, 1)])
    assert increasing([(0, 0), (1, 7), (2, 1), (3, 8), (4, 2), (5, 9)]) == [
        (0, 0),
        (2, 1),
        (4, 2),
        (5, 9),
    ]


def test_every_folded_character_knows_where_it_stands(tmp_path: Path) -> None:
    """NFKC widens a character (㍻: 平成) or drops one (a space), and a document may have no
    text: each page's marker still goes before the character it begins with, in its own
    document."""
    from lxml import etree

    from sangokushi import pagemap

    pages_of = {
        "a.xhtml": "<p>第一の頁。</p><p>令和の前は㍻、その前は昭和 です。</p>",
        "b.xhtml": "<p> </p>",
        "c.xhtml": "<p>次の頁は<em>ここ</em>から始まる。</p>",
    }
    for name, body in pages_of.items():
        page = f'<html xmlns="http://www.w3.org/1999/xhtml"><body>{body}</body></html>'
        (tmp_path / name).write_text(page, encoding="utf-8")
    root = etree.parse(str(tmp_path / "a.xhtml")).getroot()
    text, spots = pagemap.document_text(root)
    assert text == "第一の頁。令和の前は平成、その前は昭和です。" and len(spots) == len(text)
    for at, char in enumerate(text):
        spot = spots[at]
        source = (spot.node.tail if spot.tail else spot.node.text)[spot.offset]
        assert char in normalize(source), (at, char, source)
    pages = [
        pagemap.Page("1", "第一の頁。令和の前は平成、"),
        pagemap.Page("2", "その前は昭和です。次の頁は"),
        pagemap.Page("3", "ここから始まる。"),
    ]
    listed = pagemap.place(tmp_path, list(pages_of), pages)
    assert listed == [("1", "a.xhtml#page-1"), ("2", "a.xhtml#page-2"), ("3", "c.xhtml#page-3")]
    marked = (tmp_path / "a.xhtml").read_text(encoding="utf-8")
    assert re.search(r'㍻、<span [^>]*id="page-2"[^>]*/>その前は', marked), marked
    third = (tmp_path / "c.xhtml").read_text(encoding="utf-8")
    assert re.search(r'次の頁は<span [^>]*id="page-3"[^>]*/><em>ここ', third), third
