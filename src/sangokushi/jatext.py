"""Japanese text: soft line breaks dropped at read time, headings broken between phrases, note
references kept on the line of what they mark."""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform

# A soft line break of the source, with the blanks around it.
SEGMENT_BREAK = re.compile(r"[ \t]*\n[ \t]*")
# Text inside these is shown as written: code, raw markup, math.
VERBATIM = (nodes.FixedTextElement, nodes.literal, nodes.raw, nodes.math, nodes.comment)
# Builders whose output is HTML (the online edition, both EPUBs).
HTML_FORMATS = ("html",)
WBR = "<wbr />"
# Paragraphs set as headings: a chapter's subtitle.
HEADING_CLASSES = frozenset({"chapter-subtitle"})


def is_wide(char: str) -> bool:
    """East Asian Wide, Fullwidth or Halfwidth and not Hangul (CSS Text 3, segment breaks)."""
    if unicodedata.east_asian_width(char) not in ("W", "F", "H"):
        return False
    return not unicodedata.name(char, "").startswith("HANGUL")


def join_lines(text: str, before: str = "", after: str = "") -> str:
    """``text`` with its soft line breaks removed between two wide characters, else one space.

    ``before`` and ``after`` are the characters next to ``text`` in its paragraph,
    for a break at either end.
    """

    def replace(match: re.Match[str]) -> str:
        start, end = match.start(), match.end()
        left = text[start - 1] if start else before
        right = text[end] if end < len(text) else after
        return "" if left and right and is_wide(left) and is_wide(right) else " "

    return SEGMENT_BREAK.sub(replace, text)


# Text inside these is not printed where it stands.
HIDDEN = (nodes.raw, nodes.comment, nodes.system_message)
# Characters that never start a line (JIS X 4051's 行頭禁則): closing brackets, punctuation,
# small kana, the prolonged sound mark and the iteration marks.
NO_LINE_START = frozenset(
    "、。，．,.・：；:;?!？！）)］]}」』】〕〉》…‥"
    "ーぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ々ゝゞヽヾ"
)
# Characters that never end a line: opening brackets, and a dash that leads what follows.
NO_LINE_END = frozenset("（(［[「『【〔〈《\u2014\u2015")


def _within(
    node: nodes.Node, kinds: tuple[type[nodes.Node], ...], stop: nodes.Node | None = None
) -> bool:
    parent = node.parent
    while parent is not None and parent is not stop:
        if isinstance(parent, kinds):
            return True
        parent = parent.parent
    return False


def _verbatim(node: nodes.Node) -> bool:
    return _within(node, VERBATIM)


def beside(node: nodes.Node, strip: bool = False) -> tuple[str, str]:
    """The characters printed just before and after ``node`` (text or an inline element) in
    its paragraph, "" at either end; with ``strip``, the nearest ones that are not blank."""
    block = node.parent
    while isinstance(block, nodes.Inline):
        block = block.parent
    if block is None:
        return "", ""
    texts = [t for t in block.findall(nodes.Text) if not _within(t, HIDDEN, block)]
    own = {id(t) for t in (node.findall(nodes.Text) if isinstance(node, nodes.Element) else [node])}
    at = [i for i, text in enumerate(texts) if id(text) in own]
    if not at:
        return "", ""

    def first(candidates: list[nodes.Text], last: bool) -> str:
        for text in candidates:
            value = str(text).strip() if strip else str(text)
            if value:
                return value[-1] if last else value[0]
        return ""

    return first(texts[: at[0]][::-1], True), first(texts[at[-1] + 1 :], False)


class JoinJapaneseLines(SphinxTransform):
    """Drop the source's line breaks between Japanese characters, in every edition.

    A line break inside a paragraph is a space in HTML, where browsers show it even
    between Japanese characters (用い、 著者); CSS Text 3's rule to drop it is not
    implemented there. Done on the doctree as it is read, so HTML, EPUB, PDF and the
    search index see the same text. Latin words keep the space between them.
    """

    default_priority = 400

    def apply(self, **kwargs: Any) -> None:
        for block in self.document.findall(nodes.TextElement):
            if isinstance(block.parent, nodes.TextElement) or _verbatim(block):
                continue
            texts = [t for t in block.findall(nodes.Text) if not _verbatim(t)]
            for i, text in enumerate(texts):
                if "\n" not in text:
                    continue
                before = str(texts[i - 1])[-1:] if i else ""
                after = str(texts[i + 1])[:1] if i + 1 < len(texts) else ""
                joined = join_lines(str(text), before, after)
                if joined != str(text):
                    new = nodes.Text(joined)
                    text.parent.replace(text, new)
                    texts[i] = new


@cache
def _parser() -> Any:
    import budoux

    return budoux.load_default_japanese_parser()


def phrases(text: str) -> list[str]:
    """``text`` split into phrases (BudouX); Latin text stays one phrase."""
    return list(_phrases(text))


# Texts whose phrases are kept: every edition of a build (and every build of `sangokushi
# preview`) breaks the same headings and table cells, in the same process.
PHRASE_MEMO = 1 << 16


@lru_cache(maxsize=PHRASE_MEMO)
def _phrases(text: str) -> tuple[str, ...]:
    if not any(is_wide(c) for c in text):
        return (text,)
    return tuple(_parser().parse(text) or [text])


def phrase_html(text: str) -> str:
    """``text``, escaped, with ``<wbr />`` between its phrases."""
    from html import escape

    return WBR.join(escape(p, quote=False) for p in phrases(text))


class PhraseBreaks(SphinxPostTransform):
    """Headings break between phrases, not inside words: ``<wbr />`` at BudouX's boundaries.

    Paired with ``word-break: keep-all`` on headings, a browser or reading system
    breaks a heading only there (始まった stays whole). HTML and EPUB only.
    """

    default_priority = 850
    formats = HTML_FORMATS

    def run(self, **kwargs: Any) -> None:
        targets: list[nodes.Element] = [
            n for n in self.document.findall(nodes.title) if isinstance(n.parent, nodes.section)
        ]
        for container in self.document.findall(nodes.container):
            if HEADING_CLASSES & set(container["classes"]):
                targets.extend(container.findall(nodes.paragraph))
        for element in targets:
            for text in list(element.findall(nodes.Text)):
                if _verbatim(text):
                    continue
                break_between(text, phrases(str(text)))


def break_between(text: nodes.Text, parts: list[str]) -> None:
    """Replace ``text`` with its ``parts`` (its phrases), a line break allowed between them."""
    if len(parts) < 2:
        return
    replacement: list[nodes.Node] = []
    for i, part in enumerate(parts):
        if i:
            replacement.append(nodes.raw("", WBR, format="html"))
        replacement.append(nodes.Text(part))
    text.parent.replace(text, replacement)


# What a note reference (合印) is kept with: a run of Latin letters or digits, else one character.
MARKED = re.compile(r"[A-Za-z0-9]+$|\S$")
# An inline that no line breaks inside (sangokushi-book.css).
KEEP_CLASS = "sangokushi-keep"


def keep_note_marks(doctree: nodes.document) -> None:
    """Keep each note reference on the line of what it marks: a line may not begin with a 合印.

    The reference and the character (or Latin word, or inline element) before it become one
    unbreakable inline. HTML and EPUB, as a page is written: the search index has read the
    text whole.
    """
    references = (nodes.footnote_reference, nodes.citation_reference)
    for ref in list(doctree.findall(lambda node: isinstance(node, references))):
        parent = ref.parent
        at = parent.index(ref)
        before = parent[at - 1] if at else None
        if isinstance(before, nodes.Text):
            match = MARKED.search(str(before))
            if match is None:
                continue
            kept: list[nodes.Node] = [nodes.Text(match.group())]
            head = str(before)[: match.start()]
            parent.replace(before, [nodes.Text(head)] if head else [])
        elif isinstance(before, nodes.inline):
            kept = [before]
            parent.remove(before)
        else:
            continue
        at = parent.index(ref)
        parent.remove(ref)
        parent.insert(at, nodes.inline("", "", *kept, ref, classes=[KEEP_CLASS]))


def logo_title(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """The theme's site title (sidebar) with phrase breaks too."""
    logo = context.get("theme_logo")
    title = context.get("docstitle")
    if isinstance(logo, dict) and title and not logo.get("text"):
        context["theme_logo"] = {**logo, "text": phrase_html(title)}


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_transform(JoinJapaneseLines)
    app.add_post_transform(PhraseBreaks)
    app.connect("html-page-context", logo_title)
    return {
        "version": "1.0",
        "env_version": 1,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
