"""Printed pages in the EPUB: where each page of a PDF begins, found in the EPUB's documents."""

from __future__ import annotations

import functools
import hashlib
import html
import json
import re
import subprocess
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import Match, SequenceMatcher
from pathlib import Path

from sangokushi.fidelity import normalize
from sangokushi.page import PageDesign, body_band

# The page map a PDF edition leaves beside its stamp (sangokushi.build.registry.Edition).
SUFFIX = ".pages.json"
# Beside it, each page's text by its print (``read_pages``), for the next map.
KNOWN = ".known"
# The Sphinx event an EPUB's builder (sangokushi.ebook) emits, with the map's path, before it
# first reads its page map: a handler may wait until the map is written (the build's runner
# waits for the PDF's LaTeX), and returns False when it never will be (no page list then).
WANTED = "page-map-wanted"
WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)
PAGE = re.compile(r"<page [^>]*>(.*?)</page>", re.S)
# Ruby is kana set at half size: a word of kana this much smaller than the text is a reading.
KANA = re.compile("[\u3041-\u30ff]+")
RUBY_RATIO = 0.7
# A page that begins with up to this many characters set otherwise in print (第一章).
BACK = 3
# Shorter runs in common are chance (「序章」 in a sentence about the book).
RUN = 3
# The texts are aligned a phrase at a time first, then character by character between the
# phrases in common: difflib on the characters alone grows with the product of the lengths
# (0.35 s for this book, over 20 minutes at ×100). Where a phrase ends, and the largest gap
# between phrases in common (print-only or EPUB-only text: 目次, the two 索引) aligned
# character by character.
PHRASE = re.compile(r"[^。、！？」』）]*[。、！？」』）]|[^。、！？」』）]+$")
GAP = 4_000_000


@dataclass(frozen=True)
class Page:
    """One printed page: its number as printed (the PDF's page label) and its body text."""

    label: str
    text: str


def prints(pdf: Path) -> tuple[list[str], list[str]]:
    """Each page's number as printed (its ``/PageLabels`` entry, else its position) and its
    print: a digest of what its text is read from (its content, its fonts by name without
    the subset's tag, its forms and images). Two pages with one print read as one text."""
    import pikepdf

    labels, found = [], []
    with pikepdf.open(pdf) as document:
        for number, page in enumerate(document.pages, 1):
            labels.append(str(page.label or number))
            digest = hashlib.blake2b()
            contents = page.obj.get("/Contents")
            streams = [contents] if isinstance(contents, pikepdf.Stream) else list(contents or ())
            for stream in streams:
                digest.update(stream.read_raw_bytes())
            resources = page.obj.get("/Resources") or pikepdf.Dictionary()
            for name, font in sorted((resources.get("/Font") or pikepdf.Dictionary()).items()):
                base = str(font.get("/BaseFont", "")).split("+")[-1]
                digest.update(f"\0{name}\0{base}\0{font.get('/Encoding', '')}".encode())
            for name, form in sorted((resources.get("/XObject") or pikepdf.Dictionary()).items()):
                digest.update(f"\0{name}\0".encode() + form.read_raw_bytes())
            found.append(digest.hexdigest())
    return labels, found


def page_text(body: str, head: float, foot: float, tate: bool) -> str:
    """The body text of one page of ``pdftotext -bbox`` markup, without ruby: the words
    inside the 版面 (running heads and folios lie outside it)."""
    boxes = [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in WORD.findall(body)]
    found = [w for w in boxes if w[3] > head and w[1] < foot]
    single = [w for w in found if len(w[4]) == 1] or found
    across = sorted((w[2] - w[0]) if tate else (w[3] - w[1]) for w in single)
    size = across[len(across) // 2] if across else 0
    words = [
        html.unescape(w[4])
        for w in found
        if not (
            KANA.fullmatch(w[4]) and ((w[2] - w[0]) if tate else (w[3] - w[1])) < RUBY_RATIO * size
        )
    ]
    return normalize("".join(words))


def runs(numbers: list[int]) -> list[tuple[int, int]]:
    """Rising page numbers as runs of consecutive ones: (first, last)."""
    found: list[tuple[int, int]] = []
    for number in numbers:
        if found and found[-1][1] == number - 1:
            found[-1] = (found[-1][0], number)
        else:
            found.append((number, number))
    return found


def read_pages(
    pdf: Path, page: PageDesign, tate: bool, known: Mapping[str, str] | None = None
) -> tuple[list[Page], dict[str, str]]:
    """The body text of every page of ``pdf`` in the order it was set, without ruby; and
    each page's text by its print (``prints``), for the next reading.

    Words come in drawing order (``pdftotext -raw``), which is the reading order of both
    writing modes. A page whose print is in ``known`` (the last reading's) has that text:
    after an edit, ``pdftotext`` reads only the pages that changed.
    """
    known = known or {}
    labels, found = prints(pdf)
    wanted = [n for n, mark in enumerate(found, 1) if mark not in known]
    head, foot = body_band(page, tate)
    texts = {}
    for first, last in runs(wanted) if known else [(1, len(found))]:
        markup = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", "-raw", "-bbox", "-f", str(first), "-l", str(last),
             str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout  # fmt: skip
        bodies = PAGE.findall(markup)
        if len(bodies) != last - first + 1:
            raise ValueError(f"pdftotext read {len(bodies)} of pages {first}–{last} of {pdf}")
        for number, body in enumerate(bodies, first):
            texts[found[number - 1]] = page_text(body, head, foot, tate)
    texts |= {mark: known[mark] for mark in found if mark not in texts}
    return [Page(label, texts[mark]) for label, mark in zip(labels, found, strict=True)], texts


def dumps(source: str, pdf: Path, pages: list[Page]) -> str:
    """A page map as ``load`` reads it: ``source`` names the edition (pageBreakSource)."""
    data = {"source": source, "pdf": pdf.name, "pages": [[p.label, p.text] for p in pages]}
    return json.dumps(data, ensure_ascii=False, indent=0)


def reading_key(page: PageDesign, tate: bool) -> str:
    """What a page's text is read with besides its print: this module, poppler, the 版面."""
    poppler = subprocess.run(["pdftotext", "-v"], capture_output=True, text=True).stderr
    code = Path(__file__).read_bytes()
    return hashlib.blake2b(code + repr((poppler, page, tate)).encode()).hexdigest()


def known_texts(path: Path, key: str) -> dict[str, str]:
    """The texts by print a reading left in ``path`` under ``key``; else none."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("key") != key:
        return {}
    texts = data.get("texts")
    return texts if isinstance(texts, dict) else {}


def load(path: Path) -> tuple[str, list[Page]]:
    """A page map's source and pages."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return data["source"], [Page(label, text) for label, text in data["pages"]]


def increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of ``pairs`` (ordered by their first number) whose second numbers rise."""
    # For each length of run: the pair that ends such a run lowest, and that lowest end.
    tails: list[int] = []
    ends: list[int] = []
    before = [-1] * len(pairs)
    for index, (_, second) in enumerate(pairs):
        length = bisect_left(ends, second)
        if length:
            before[index] = tails[length - 1]
        if length == len(tails):
            tails.append(index)
            ends.append(second)
        else:
            tails[length], ends[length] = index, second
    run, index = [], tails[-1] if tails else -1
    while index >= 0:
        run.append(pairs[index])
        index = before[index]
    return run[::-1]


def phrase_blocks(pa: list[str], pb: list[str]) -> list[Match]:
    """difflib's matching blocks of two lists of phrases, found piece by piece: between the
    phrases each list has once, in the order both have them (patience diff's anchors).

    difflib alone grows with how often phrases repeat: a long book, or one whose chapters say
    the same things, aligned whole took seconds (3.2 s at ×100, where each phrase is there a
    hundred times); between anchors each piece is a chapter or less.
    """
    once_a, once_b = Counter(pa), Counter(pb)
    in_b = {phrase: j for j, phrase in enumerate(pb) if once_b[phrase] == 1}
    pairs = [(i, in_b[p]) for i, p in enumerate(pa) if once_a[p] == 1 and p in in_b]
    blocks: list[Match] = []
    done_a = done_b = 0
    for i, j in [*increasing(pairs), (len(pa), len(pb))]:
        piece = SequenceMatcher(None, pa[done_a:i], pb[done_b:j], autojunk=False)
        blocks += [Match(done_a + m.a, done_b + m.b, m.size) for m in piece.get_matching_blocks()]
        blocks.pop()  # the piece's end
        if i < len(pa):
            blocks.append(Match(i, j, 1))
        done_a, done_b = i + 1, j + 1
    blocks.append(Match(len(pa), len(pb), 0))
    return blocks


@functools.lru_cache(maxsize=1 << 14)
def gap_blocks(a: str, b: str) -> tuple[Match, ...]:
    """difflib's matching blocks of two short texts, without the end: kept for the process,
    as the next build of a preview has the same texts between the phrases it did not edit."""
    return tuple(SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()[:-1])


def matching(a: str, b: str) -> list[Match]:
    """The runs ``a`` and ``b`` have in common, in order, as difflib's matching blocks: the
    phrases in common, and the runs in common between them."""
    pa, pb = PHRASE.findall(a), PHRASE.findall(b)
    at_a = [0]
    for phrase in pa:
        at_a.append(at_a[-1] + len(phrase))
    at_b = [0]
    for phrase in pb:
        at_b.append(at_b[-1] + len(phrase))
    blocks: list[Match] = []
    done_a = done_b = 0

    def between(end_a: int, end_b: int) -> None:
        if (end_a - done_a) * (end_b - done_b) > GAP:
            return
        for m in gap_blocks(a[done_a:end_a], b[done_b:end_b]):
            blocks.append(Match(done_a + m.a, done_b + m.b, m.size))

    phrases = phrase_blocks(pa, pb)
    for m in phrases[:-1]:
        start_a, start_b = at_a[m.a], at_b[m.b]
        between(start_a, start_b)
        size = at_a[m.a + m.size] - start_a
        blocks.append(Match(start_a, start_b, size))
        done_a, done_b = start_a + size, start_b + size
    between(len(a), len(b))
    blocks.append(Match(len(a), len(b), 0))
    # Runs that meet (a phrase after the characters before it) are one run, as difflib has them.
    joined: list[Match] = []
    for m in blocks:
        last = joined[-1] if joined else None
        if last and last.a + last.size == m.a and last.b + last.size == m.b and m.size:
            joined[-1] = Match(last.a, last.b, last.size + m.size)
        else:
            joined.append(m)
    return joined


def locate(pages: list[Page], text: str) -> list[int | None]:
    """Where in ``text`` (folded) each page begins; None for a page with nothing of ``text``.

    The pages' text and ``text`` are aligned as two sequences (difflib): a page begins at
    the first of its characters found in ``text`` (runs of ``RUN`` or more), so that text only
    print has (目次's leaders, a table head repeated, 柱) is skipped. A page that begins with
    up to ``BACK`` characters set otherwise in print (第一章 for 第1章) begins that much earlier.
    """
    printed = "".join(p.text for p in pages)
    starts, at = [], 0
    for p in pages:
        starts.append(at)
        at += len(p.text)
    blocks = [b for b in matching(printed, text) if b.size >= RUN]
    ends = [b.a + b.size for b in blocks]
    found: list[int | None] = []
    for p, start in zip(pages, starts, strict=True):
        end = start + len(p.text)
        place = None
        # The blocks are in order: the first that reaches past the page's start, if it
        # begins before the page ends.
        index = bisect_right(ends, start)
        if index < len(blocks) and blocks[index].a < end:
            block = blocks[index]
            place = block.b + max(start, block.a) - block.a
            if 0 < block.a - start <= BACK:
                before = blocks[index - 1] if index else None
                gap = block.b - (before.b + before.size if before else 0)
                place -= min(block.a - start, gap)
        found.append(place)
    return found


# Elements whose text a reader does not read as the book's text; the marker goes outside them.
UNREAD = frozenset({"rt", "rp", "script", "style", "head", "title"})
# Elements a marker (phrasing content) may stand in, in XHTML.
HOLDS_PHRASING = frozenset(
    {
        "body",
        "section",
        "div",
        "p",
        "span",
        "a",
        "li",
        "td",
        "th",
        "dd",
        "dt",
        "blockquote",
        "aside",
        "figure",
        "figcaption",
        "caption",
        "em",
        "strong",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "footer",
        "main",
        "article",
        "nav",
        "ruby",
    }
)
XHTML = "{http://www.w3.org/1999/xhtml}"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


@dataclass(frozen=True)
class Spot:
    """A character of a document's text: in ``node``'s text or tail, at ``offset``."""

    node: object
    tail: bool
    offset: int


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


@functools.cache
def _fold(char: str) -> str:
    return normalize(char)


class Spots:
    """Where each character of a folded text stands (a ``Spot``), kept run by run: a text or
    tail folds to as many characters as it has, but for the few NFKC widens or drops."""

    def __init__(self) -> None:
        self.starts: list[int] = []  # each run's first position in the folded text
        self.runs: list[tuple[object, bool, list[int] | None]] = []  # offsets None: 1 to 1
        self.length = 0

    def add(self, node: object, text: str, tail: bool) -> str:
        """Fold ``node``'s ``text`` (its tail if ``tail``) onto the end; return it folded."""
        pieces = [_fold(char) for char in text]
        folded = "".join(pieces)
        if folded:
            one = len(folded) == len(text) and all(len(piece) == 1 for piece in pieces)
            offsets = None if one else [i for i, piece in enumerate(pieces) for _ in piece]
            self.starts.append(self.length)
            self.runs.append((node, tail, offsets))
            self.length += len(folded)
        return folded

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, at: int) -> Spot:
        if not 0 <= at < self.length:
            raise IndexError(at)
        run = bisect_right(self.starts, at) - 1
        node, tail, offsets = self.runs[run]
        index = at - self.starts[run]
        return Spot(node, tail, index if offsets is None else offsets[index])


def document_text(root: object, spots: Spots | None = None) -> tuple[str, Spots]:
    """The folded text a reader reads in an XHTML document, and where each character is
    (added to ``spots``, if given)."""
    spots = Spots() if spots is None else spots
    folded: list[str] = []

    def walk(node: object) -> None:
        if _local(node.tag) not in UNREAD:  # type: ignore[attr-defined]
            folded.append(spots.add(node, node.text or "", False))  # type: ignore[attr-defined]
            for child in node:  # type: ignore[attr-defined]
                walk(child)
        folded.append(spots.add(node, node.tail or "", True))  # type: ignore[attr-defined]

    body = root.find(f"{XHTML}body")  # type: ignore[attr-defined]
    if body is not None:
        walk(body)
    return "".join(folded), spots


def marker(label: str) -> object:
    """``<span epub:type="pagebreak" role="doc-pagebreak" id="page-N" aria-label="N"/>``."""
    from lxml import etree

    span = etree.Element(f"{XHTML}span")
    span.set(EPUB_TYPE, "pagebreak")
    span.set("role", "doc-pagebreak")
    span.set("id", page_id(label))
    span.set("aria-label", label)
    return span


def page_id(label: str) -> str:
    return "page-" + re.sub(r"[^A-Za-z0-9_.-]", "_", label)


def _starts(node: object) -> bool:
    """Whether nothing a reader reads precedes ``node`` inside its parent."""
    previous = node.getprevious()  # type: ignore[attr-defined]
    if previous is None:
        return not (node.getparent().text or "").strip()  # type: ignore[attr-defined]
    return not ("".join(previous.itertext()) + (previous.tail or "")).strip() and _starts(previous)


def insert(spot: Spot, spans: list[object]) -> None:
    """Put ``spans`` just before the character at ``spot``: before the element it begins.

    A page that begins with a heading or a paragraph has its break before that element, as
    far out as a span may stand, but inside its section.
    """
    node, offset = spot.node, spot.offset
    if spot.tail:
        text, parent = node.tail or "", node.getparent()  # type: ignore[attr-defined]
        node.tail = text[:offset]  # type: ignore[attr-defined]
        index = parent.index(node) + 1
    elif (node.text or "")[:offset].strip():  # type: ignore[attr-defined]
        text, parent, index = node.text, node, 0  # type: ignore[attr-defined]
        node.text = text[:offset]  # type: ignore[attr-defined]
    elif _local(node.getparent().tag) not in HOLDS_PHRASING:  # type: ignore[attr-defined]
        text, parent, index = node.text or "", node, 0  # type: ignore[attr-defined]
        node.text = text[:offset]  # type: ignore[attr-defined]
    else:
        target = node
        while True:
            up = target.getparent()  # type: ignore[attr-defined]
            outer = up.getparent()
            if _local(up.tag) in ("section", "body") or outer is None or not _starts(target):
                break
            if _local(outer.tag) not in HOLDS_PHRASING:
                break
            target = up
        parent = target.getparent()  # type: ignore[attr-defined]
        index = parent.index(target)
        text, offset = "", 0
    for span in spans:
        parent.insert(index, span)  # type: ignore[attr-defined]
        index += 1
    spans[-1].tail = text[offset:]  # type: ignore[attr-defined]


def unmark(root: object) -> None:
    """Take out the page break markers ``insert`` put in, joining the text they split."""
    for span in list(root.iter(f"{XHTML}span")):  # type: ignore[attr-defined]
        if span.get(EPUB_TYPE) != "pagebreak" or span.get("role") != "doc-pagebreak":
            continue
        parent, previous, tail = span.getparent(), span.getprevious(), span.tail or ""
        # Empty text is None, as parsed: lxml writes an element with text "" as <p></p>.
        if previous is not None:
            previous.tail = (previous.tail or "") + tail or None
        else:
            parent.text = (parent.text or "") + tail or None
        parent.remove(span)


def place(outdir: Path, names: list[str], pages: list[Page]) -> list[tuple[str, str]]:
    """Put a page break marker in ``names`` (XHTML, reading order) where each page begins.

    A page with no text of the EPUB (a blank page) has its marker just before the next
    page's. Returns the page list: each page's label and the marker's ``href``.
    """
    from lxml import etree

    trees, texts, spots, starts = {}, [], Spots(), []
    for name in names:
        tree = etree.parse(str(outdir / name))
        unmark(tree.getroot())  # a page the builder did not write again has last build's
        trees[name] = tree
        starts.append(len(spots))
        texts.append(document_text(tree.getroot(), spots)[0])
    found = locate(pages, "".join(texts))
    # A page found nowhere takes the place of the next page found (else the last one).
    places: list[int] = []
    following = len(spots) - 1
    for at in reversed(found):
        following = at if at is not None else following
        places.append(following)
    places.reverse()
    for index in range(1, len(places)):
        places[index] = max(places[index], places[index - 1])
    at_spot: dict[int, list[str]] = {}
    for page, at in zip(pages, places, strict=True):
        at_spot.setdefault(at, []).append(page.label)
    page_list = []
    # From the end, so that each insertion leaves the earlier spots' offsets valid.
    for at in sorted(at_spot, reverse=True):
        spans = [marker(label) for label in at_spot[at]]
        insert(spots[at], spans)
    for page, at in zip(pages, places, strict=True):
        owner = names[bisect_right(starts, at) - 1]  # an empty document begins where the next does
        page_list.append((page.label, f"{owner}#{page_id(page.label)}"))
    for name, tree in trees.items():
        # Serialised here, written by Python: lxml writing a file on a full disk raises its
        # SerialisationError, not an OSError naming the file.
        (outdir / name).write_bytes(etree.tostring(tree, encoding="utf-8", xml_declaration=False))
    return page_list
