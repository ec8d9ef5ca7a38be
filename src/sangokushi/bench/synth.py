"""Synthetic books ×N the real chapters, their edits, and the same text for pandoc."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

# The root document's first toctree lists the chapters that are copied.
TOCTREE_RE = re.compile(r"(:::\{toctree\}\n(?::[^\n]*\n)*\n)(.*?)(\n:::)", re.S)
LABEL_RE = re.compile(r"^\(([^)\s]+)\)=$", re.M)
BOX_RE = re.compile(r"^(:::\{analogy\}) (\S+)$", re.M)
# {role}`target` and {role}`text <target>` for the roles that name a label or a box.
ROLE_RE = re.compile(r"\{(analogy|numref|ref)\}`(?:([^`<]*?) <)?([^`<>]+)>?`")
HEADING_RE = re.compile(r"^# (.+)$", re.M)


@dataclass(frozen=True)
class Book:
    """A synthetic book: its source folder and the files the edits touch."""

    srcdir: Path
    chapters: tuple[str, ...]  # docnames in reading order (copies included)
    documents: int  # every document Sphinx reads
    paragraph_doc: Path  # the chapter whose paragraph the paragraph edit changes
    box_doc: Path  # the chapter whose box the box edit changes


def _copy_chapter(text: str, copy: int, rename: dict[str, str]) -> str:
    """Chapter ``text`` as copy number ``copy``: every label, box id and reference renamed."""
    if copy == 1:
        return text

    def role(match: re.Match[str]) -> str:
        name, title, target = match.groups()
        target = rename.get(target, target)
        return f"{{{name}}}`{title} <{target}>`" if title is not None else f"{{{name}}}`{target}`"

    text = LABEL_RE.sub(lambda m: f"({rename.get(m[1], m[1])})=", text)
    text = BOX_RE.sub(lambda m: f"{m[1]} {rename.get(m[2], m[2])}", text)
    text = ROLE_RE.sub(role, text)
    return HEADING_RE.sub(lambda m: f"# {m[1]}（{copy}）", text, count=1)


def make_book(docs: Path, out: Path, scale: int) -> Book:
    """Write ``docs`` into ``out`` with its chapters ``scale`` times over (unique names)."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(docs, out, ignore=shutil.ignore_patterns("_build", "__pycache__"))
    index = out / "index.md"
    text = index.read_text(encoding="utf-8")
    found = TOCTREE_RE.search(text)
    if found is None:
        raise ValueError(f"{index}: no toctree of chapters")
    originals = [line.strip() for line in found[2].splitlines() if line.strip()]
    sources = {doc: (out / f"{doc}.md").read_text(encoding="utf-8") for doc in originals}
    defined = {
        name
        for source in sources.values()
        for name in LABEL_RE.findall(source) + [m[2] for m in BOX_RE.finditer(source)]
    }
    chapters: list[str] = []
    for copy in range(1, scale + 1):
        rename = {name: f"{name}-{copy}" for name in defined}
        for doc in originals:
            name = doc if copy == 1 else f"{doc}-{copy}"
            if copy > 1:
                (out / f"{name}.md").write_text(
                    _copy_chapter(sources[doc], copy, rename), encoding="utf-8"
                )
            chapters.append(name)
    index.write_text(
        text[: found.start(2)] + "\n".join(chapters) + text[found.end(2) :], encoding="utf-8"
    )
    # Folders starting with "_" (templates, static files, originals) hold no documents.
    sources = [p.relative_to(out) for p in out.rglob("*.md")]
    documents = len([p for p in sources if not any(d.startswith("_") for d in p.parts[:-1])])
    middle = chapters[len(chapters) // 2]
    boxed = [doc for doc in chapters if BOX_RE.search((out / f"{doc}.md").read_text("utf-8"))]
    return Book(
        out,
        tuple(chapters),
        documents,
        out / f"{middle}.md",
        out / f"{boxed[len(boxed) // 2]}.md",
    )


def edit_paragraph(book: Book, mark: str) -> None:
    """Append ``mark`` to the first body paragraph of the paragraph chapter."""
    text = book.paragraph_doc.read_text(encoding="utf-8")
    paragraphs = text.split("\n\n")
    for i, block in enumerate(paragraphs):
        if block and not block.startswith(("#", ":", "(", ">", "-", "`")):
            paragraphs[i] = block + mark
            break
    book.paragraph_doc.write_text("\n\n".join(paragraphs), encoding="utf-8")


def edit_box(book: Book, mark: str) -> None:
    """Append ``mark`` to the ``:historical:`` name of the box chapter's analogy box."""
    text = book.box_doc.read_text(encoding="utf-8")
    text = re.sub(r"^(:historical: .+)$", lambda m: m[1] + mark, text, count=1, flags=re.M)
    book.box_doc.write_text(text, encoding="utf-8")


# -- the same text for pandoc ---------------------------------------------------------------

FRONT_RE = re.compile(r"\A---\n.*?\n---\n", re.S)
ONLY_RE = re.compile(r"^::::\{only\}.*?^::::\n", re.S | re.M)
FENCE_RE = re.compile(r"^:::\{(\w[\w-]*)\}[ ]*(.*)$", re.M)
OPTION_RE = re.compile(r"^:(modern|historical|figures): (.*)$", re.M)
INLINE_RE = re.compile(r"\{(ruby|analogy|numref|ref|idx)\}`([^`]*)`")


def _inline(match: re.Match[str]) -> str:
    role, body = match.groups()
    if role == "ruby":
        return body.split("|")[0]
    if re.fullmatch(r"<[^>]+>", body):  # an index entry with no text of its own
        return ""
    title = re.match(r"(.*?) <[^>]+>$", body)
    return title[1] if title else body


def pandoc_markdown(book: Book) -> str:
    """The book's chapters as one Pandoc Markdown text: the same words, no Sphinx markup."""
    parts = []
    for doc in book.chapters:
        text = (book.srcdir / f"{doc}.md").read_text(encoding="utf-8")
        text = FRONT_RE.sub("", text)
        text = ONLY_RE.sub("", text)
        text = LABEL_RE.sub("", text)
        text = OPTION_RE.sub(lambda m: f"{m[1]}: {m[2]}\n", text)
        text = FENCE_RE.sub(lambda m: f"::: {{.{m[1]}}}", text)
        text = INLINE_RE.sub(_inline, text)
        parts.append(text.strip() + "\n")
    return "\n".join(parts)
