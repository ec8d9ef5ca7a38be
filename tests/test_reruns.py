"""TeX runs again only while a file it reads back changed (sangokushi.build.reruns)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sangokushi.build.errors import BuildError
from sangokushi.build.latex import build_pdf
from sangokushi.build.reruns import MOST, recorded
from support import pdftotext, tex_passes

# A contents list and a page reference: the first pass writes what the second reads.
REFERENCES = r"""\documentclass[uplatex,dvipdfmx]{ujarticle}
\begin{document}
\tableofcontents
\section{始め}\label{start}
本文は\pageref{end}頁に続く。\newpage
\section{終わり}\label{end}
終わり。
\end{document}
"""
# One page, no cross-references (a cover).
SIMPLE = r"""\documentclass[uplatex,dvipdfmx]{ujarticle}
\begin{document}
一頁の文書。
\end{document}
"""
# A file written on every pass with other content, which no pass reads.
UNREAD = r"""\documentclass[uplatex,dvipdfmx]{ujarticle}
\newwrite\extra
\begin{document}
\immediate\openout\extra=\jobname.xyz
\immediate\write\extra{\pdfuniformdeviate 1000000}
\immediate\closeout\extra
読まれない書き出し。
\end{document}
"""
# The .aux carries a count up by one on every pass: it never settles.
RESTLESS = r"""\documentclass[uplatex,dvipdfmx]{ujarticle}
\begin{document}
\makeatletter
\@ifundefined{passes}{\def\passes{0}}{}
\count255=\passes \advance\count255 by 1
\immediate\write\@auxout{\string\gdef\string\passes{\the\count255}}
落ち着かない文書。
\end{document}
"""


def passes(tex: Path) -> int:
    """The passes ``tex`` takes, built as the book's covers are (no preamble format)."""
    return tex_passes(tex, preamble=False)


def write(folder: Path, text: str) -> Path:
    tex = folder / "doc.tex"
    tex.write_text(text, encoding="utf-8")
    return tex


def test_a_cold_document_takes_the_passes_its_references_need(tmp_path: Path) -> None:
    tex = write(tmp_path, REFERENCES)
    assert passes(tex) == 2
    text = pdftotext(tex.with_suffix(".pdf"))
    assert "??" not in text and "本文は 2 頁に続く" in text
    assert text.index("終わり") < text.index("本文は")  # the contents list
    # Unchanged: one pass finds every file it reads back as it was.
    assert passes(tex) == 1
    # A file it reads back gone: the pass that wrote it anew had none to read.
    tex.with_suffix(".toc").unlink()
    assert passes(tex) == 2
    text = pdftotext(tex.with_suffix(".pdf"))
    assert text.index("終わり") < text.index("本文は")


def test_a_one_page_document_with_no_references_takes_one_pass(tmp_path: Path) -> None:
    tex = write(tmp_path, SIMPLE)
    assert passes(tex) == 1
    assert "一頁の文書。" in pdftotext(tex.with_suffix(".pdf"))


def test_a_reference_moved_by_an_edit_runs_again(tmp_path: Path) -> None:
    tex = write(tmp_path, REFERENCES)
    passes(tex)
    write(tmp_path, REFERENCES.replace(r"に続く。\newpage", r"に続く。\newpage 挿入。\newpage"))
    assert passes(tex) == 2
    assert "本文は 3 頁に続く" in pdftotext(tex.with_suffix(".pdf"))


def test_a_file_no_pass_reads_does_not_run_tex_again(tmp_path: Path) -> None:
    tex = write(tmp_path, UNREAD)
    passes(tex)  # the first time it is new, as a .toc is
    before = (tmp_path / "doc.xyz").read_text(encoding="ascii")
    assert passes(tex) == 1
    assert (tmp_path / "doc.xyz").read_text(encoding="ascii") != before


def test_a_document_that_never_settles_is_an_error_naming_the_file(tmp_path: Path) -> None:
    tex = write(tmp_path, RESTLESS)
    with pytest.raises(BuildError) as raised:
        build_pdf(tex, preamble=False)
    assert str(raised.value) == (
        f"{tex}: doc.aux still changed after {MOST} uplatex passes "
        f"(a page reference that moves its own page?); see {tex.with_suffix('.log')}"
    )
    assert "\\gdef\\passes{5}" in (tmp_path / "doc.aux").read_text(encoding="utf-8")


def test_the_recorder_list_names_a_file_one_way_however_tex_wrote_it(tmp_path: Path) -> None:
    (tmp_path / "doc.fls").write_text(
        f"PWD {tmp_path}\nINPUT /usr/share/texmf/tex/latex/base/article.cls\n"
        "INPUT ./doc.aux\nOUTPUT doc.aux\nOUTPUT sub/../doc.toc\nINPUT doc.toc\n"
        f"OUTPUT {tmp_path}/doc.log\n",
        encoding="utf-8",
    )
    read, wrote = recorded(tmp_path / "doc.fls")
    assert wrote == {tmp_path / "doc.aux", tmp_path / "doc.toc", tmp_path / "doc.log"}
    assert {tmp_path / "doc.aux", tmp_path / "doc.toc"} <= read
    assert Path("/usr/share/texmf/tex/latex/base/article.cls") in read
    assert recorded(tmp_path / "none.fls") == (set(), set())
