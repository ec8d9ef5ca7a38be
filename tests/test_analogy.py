"""sangokushi.analogy: rendering in every builder, configuration and bad input."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

from support import sphinx_build

ROOTS = Path(__file__).parent / "roots"


def read(app: SphinxTestApp, name: str) -> str:
    return (app.outdir / name).read_text(encoding="utf-8")


def box(html: str, analogy_id: str) -> str:
    """The HTML of one analogy box (boxes contain no nested <div> in the test roots)."""
    match = re.search(rf'<div class="analogy" id="analogy-{analogy_id}">.*?</div>', html, re.S)
    assert match, f"no box {analogy_id!r}"
    return match.group(0)


def warnings(app: SphinxTestApp) -> str:
    return strip_colors(app.warning.getvalue())


def strip_colors(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


# -- HTML ---------------------------------------------------------------------


@pytest.mark.sphinx("html", testroot="analogy-basic", freshenv=True)
def test_html_box(app: SphinxTestApp) -> None:
    app.build()
    assert warnings(app) == ""
    wei = box(read(app, "wei.html"), "wei")
    assert (
        '<p class="analogy-title"><span class="analogy-number">Analogy 1</span> '
        '<span class="analogy-modern">OpenAI</span> <span class="analogy-sep">≒</span> '
        '<span class="analogy-historical">Wei</span>'
        '<a class="headerlink" href="#analogy-wei"'
    ) in wei
    # figures table first, then the body, then the back-references
    figures = wei.index('<table class="analogy-figures')
    body = wei.index("<p>Wei was the <strong>first</strong> of the three kingdoms.</p>")
    backrefs = wei.index('<p class="analogy-backrefs">')
    assert figures < body < backrefs
    assert '<th class="head"><p>Modern</p></th>\n<th class="head"><p>Historical</p></th>' in wei
    assert "<td><p>Sam Altman</p></td>\n<td><p>Cao Cao</p></td>" in wei
    assert "<td><p>Microsoft</p></td>\n<td><p>Sima Yi</p></td>" in wei
    assert (
        '<p class="analogy-backrefs">Referenced from: '
        '<a class="reference internal" href="shu.html#shu-chapter"><span>Shu chapter</span></a>, '
        '<a class="reference internal" href="shu.html#wu"><span>Wu</span></a></p>'
    ) in wei
    assert "Analogy 2" in box(read(app, "shu.html"), "shu")
    assert "Analogy 3" in box(read(app, "shu.html"), "wu")


@pytest.mark.sphinx("html", testroot="analogy-basic", freshenv=True)
def test_html_role(app: SphinxTestApp) -> None:
    app.build()
    wei = read(app, "wei.html")
    # implicit text: the historical name; explicit text kept
    assert (
        '<a class="reference internal" href="shu.html#analogy-shu" '
        'title="Analogy 2: Google ≒ Shu"><span class="xref analogy">Shu</span></a>'
    ) in wei
    assert '<span class="xref analogy">the southern kingdom</span></a>' in wei
    # a reference placed before the box it names (in reading order) resolves too
    assert 'href="shu.html#analogy-wu"' in read(app, "index.html")


@pytest.mark.sphinx("html", testroot="analogy-basic", freshenv=True)
def test_html_table(app: SphinxTestApp) -> None:
    app.build()
    html = read(app, "appendix.html")
    table = re.search(r'<table class="analogy-table.*?</table>', html, re.S)
    assert table
    heads = re.findall(r'<th class="head"><p>(.*?)</p></th>', table.group(0))
    assert heads == ["No.", "Modern", "Historical", "Figures", "Defined in", "Referenced from"]
    rows = re.findall(r"<tr class=\"row-(?:even|odd)\"><td>.*?</tr>", table.group(0), re.S)
    # each cell opens with its column's header, shown only where the rows stack (phones)
    rows = [
        re.sub(r'<span class="analogy-cell-label">([^<]*): </span>', r"[\1]", row) for row in rows
    ]
    assert [re.search(r"<td><p>\[No.\](\d+)</p></td>", row).group(1) for row in rows] == [
        "1",
        "2",
        "3",
    ]
    assert "<td><p>[Figures]Sam Altman = Cao Cao, Microsoft = Sima Yi</p></td>" in rows[0]
    assert (
        '<a class="reference internal" href="wei.html#analogy-wei" '
        'title="Analogy 1: OpenAI ≒ Wei"><span>Wei chapter</span></a>'
    ) in rows[0]
    assert (
        '<p>[Referenced from]<a class="reference internal" href="index.html#book">'
        "<span>Book</span></a>, "
        '<a class="reference internal" href="wei.html#rivals"><span>Rivals</span></a></p></td>'
    ) in rows[2]


@pytest.mark.sphinx("html", testroot="analogy-basic", freshenv=True)
def test_html_escapes_option_text(app: SphinxTestApp) -> None:
    app.build()
    for page in ("shu.html", "appendix.html", "index.html"):
        html = read(app, page)
        assert "<script>alert" not in html
    assert (
        '<span class="analogy-modern">&lt;script&gt;alert(1)&lt;/script&gt; &amp; 100% {x} \\ C#'
        "</span>"
    ) in read(app, "shu.html")


@pytest.mark.sphinx("html", testroot="analogy-basic", freshenv=True)
def test_html_css(app: SphinxTestApp) -> None:
    app.build()
    css = read(app, "_static/analogy.css")
    # no CSS variables: e-book converters (Calibre, Kindle) drop the rules that use them
    assert "var(" not in css
    assert "border-block-start" in css
    assert not re.search(r"\b(margin|padding|border)-(left|right|top|bottom)\b", css)
    assert re.search(
        r'<link rel="stylesheet" type="text/css" href="_static/analogy.css[^"]*" />',
        read(app, "wei.html"),
    )


# -- numfig and configured labels ---------------------------------------------


@pytest.mark.sphinx("html", testroot="analogy-numfig", freshenv=True)
def test_numfig_numbers_agree_with_numref(app: SphinxTestApp) -> None:
    app.build()
    assert warnings(app) == ""
    index, wei, wu = (read(app, f"{name}.html") for name in ("index", "wei", "wu"))
    # reading order: a box before the toctree, the chapters, a box after it
    titles = re.findall(r'<span class="analogy-number">(.*?)</span>', index + wei + wu)
    assert titles == ["比喩1", "比喩4", "比喩2", "比喩3"]
    assert re.findall(r'<span class="std std-numref">(.*?)</span>', index) == ["比喩2", "比喩4"]
    assert '<span class="std std-numref">比喩2</span>' in wu
    # Japanese typography: full-width separators, no ASCII ": " or ", "
    assert '<span class="analogy-number">比喩2</span>\u3000<span class="analogy-modern">' in wei
    assert 'title="比喩2：OpenAI ≒ 魏"' in wu
    # numref counts as a reference for the back-references
    backrefs = '<p class="analogy-backrefs">参照元：<a class="reference internal" href="index.html'
    assert backrefs in wei
    # wu.md holds the correspondence table, which lists every box: never a referrer of a box
    assert 'href="wu.html' not in box(wei, "wei")
    assert '<th class="head"><p>現代</p></th>\n<th class="head"><p>三国志</p></th>' in wei
    heads = re.findall(r'<th class="head"><p>(.*?)</p></th>', wu.split("analogy-table")[1])
    assert heads == ["番号", "現代", "三国志", "人物", "定義", "参照"]
    rows = re.findall(
        r'<tr class="row-(?:even|odd)"><td>.*?</tr>', wu.split("analogy-table")[1], re.S
    )
    assert "人物：</span>サム・アルトマン＝曹操、Microsoft＝司馬懿</p></td>" in rows[1]
    # wu's section refers to wei and holds the table: the table does not list itself
    assert "<span>本</span></a></p></td>" in rows[1] and "#meta" not in rows[1]


@pytest.mark.sphinx(
    "html", testroot="analogy-numfig", freshenv=True, confoverrides={"numfig": False}
)
def test_without_numfig_numbers_in_reading_order(app: SphinxTestApp) -> None:
    app.build()
    pages = "".join(read(app, f"{name}.html") for name in ("index", "wei", "wu"))
    titles = re.findall(r'<span class="analogy-number">(.*?)</span>', pages)
    assert titles == ["比喩1", "比喩4", "比喩2", "比喩3"]
    assert "numfig is disabled" in warnings(app)  # Sphinx's own numref warning


# -- LaTeX --------------------------------------------------------------------


@pytest.mark.sphinx("latex", testroot="analogy-basic", freshenv=True)
def test_latex(app: SphinxTestApp) -> None:
    app.build()
    assert warnings(app) == ""
    tex = read(app, "analogytest.tex")
    # the extension's own style file, used and shipped
    assert "\\usepackage{sangokushianalogy}" in tex
    assert "\\newenvironment{sangokushianalogy}" in read(app, "sangokushianalogy.sty")
    assert (
        "\\begin{sangokushianalogy}\n"
        "\\sangokushianalogytitle{Analogy 1}{OpenAI \\(\\fallingdotseq\\) Wei}\n"
        "\\begingroup\\expandafter\\def\\csname @currentlabel\\endcsname"
        "{\\sangokushianalogynumber{1}}"
        "\\phantomsection\\label{\\detokenize{wei:analogy-wei}}\\endgroup\n"
    ) in tex
    start = tex.index("{Analogy 1}")
    inside = tex[start : tex.index("\\end{sangokushianalogy}", start)]
    # figures as rows that may break across pages, not an unbreakable tabulary
    assert (
        "\\begin{sangokushianalogyfigures}{Modern}{Historical}\n"
        "\\sangokushianalogyfigure{Sam Altman}{Cao Cao}\n"
        "\\sangokushianalogyfigure{Microsoft}{Sima Yi}\n"
        "\\end{sangokushianalogyfigures}"
    ) in inside
    assert "tabulary" not in inside
    assert (
        "\\begin{sangokushianalogybackrefs}\n"
        "Referenced from: \\sangokushianalogyplace{{\\hyperref[\\detokenize{shu:shu-chapter}]"
        "{\\sphinxcrossref{Shu chapter}}}\u00a0(p.\u00a0\\pageref{\\detokenize{shu:shu-chapter}})}"
    ) in inside
    # option text comes out literally
    assert (
        "{Analogy 3}{\\textless{}script\\textgreater{}alert(1)\\textless{}/script\\textgreater{} "
        "\\& 100\\% \\{x\\} \\textbackslash{} C\\# \\(\\fallingdotseq\\) Wu}"
    ) in tex
    assert (
        "{\\hyperref[\\detokenize{shu:analogy-shu}]{\\sphinxcrossref{\\DUrole{xref}"
        "{\\DUrole{analogy}{Shu}}}}}"
    ) in tex
    # the correspondence list (LaTeX's default layout): links with page numbers
    listing = tex[tex.index("\\begin{sangokushianalogylist}") :]
    assert listing.index("\\begin{description}") < listing.index("\\end{sangokushianalogylist}")
    assert "\\sphinxlineitem{Analogy 1 OpenAI \\(\\fallingdotseq\\) Wei}" in listing
    assert "Figures: Sam Altman = Cao Cao, Microsoft = Sima Yi" in listing
    assert (
        "Defined in: \\sangokushianalogyplace{{\\hyperref[\\detokenize{wei:analogy-wei}]"
        "{\\sphinxcrossref{Wei chapter}}}\u00a0(p.\u00a0\\pageref{\\detokenize{wei:analogy-wei}})}"
    ) in listing


@pytest.mark.sphinx(
    "latex",
    testroot="analogy-basic",
    freshenv=True,
    confoverrides={"analogy_table_layout": {"latex": "table"}},
)
def test_latex_table_layout(app: SphinxTestApp) -> None:
    app.build()
    assert warnings(app) == ""
    tex = read(app, "analogytest.tex")
    # the table may break across pages (its head repeated), its columns are sized to their
    # content, its cells ragged; a place's page on a line of its own, one place a line
    table = tex[tex.index("\\begin{sangokushianalogytable}") :]
    table = table[: table.index("\\end{sangokushianalogytable}")]
    assert "\\endhead" in table
    assert table.count("p{\\sangokushianalogycolumn{") == 6
    assert (
        "\\sangokushianalogycellplace{{\\hyperref[\\detokenize{wei:analogy-wei}]"
        "{\\sphinxcrossref{Wei chapter}}}}{p.\u00a0\\pageref{\\detokenize{wei:analogy-wei}}}"
    ) in table
    assert "}}, \\par \\sangokushianalogycellplace{" in table
    assert "Sam Altman = Cao Cao, \\par Microsoft = Sima Yi" in table


@pytest.mark.sphinx("latex", testroot="analogy-numfig", freshenv=True)
def test_latex_numref_and_root_title(app: SphinxTestApp) -> None:
    app.build()
    assert warnings(app) == ""
    tex = read(app, "sphinx.tex")
    assert (
        "\\begin{sangokushianalogy}\n\\sangokushianalogytitle{比喩2}{OpenAI ≒ 魏}\n"
        "\\begingroup\\expandafter\\def\\csname @currentlabel\\endcsname"
        "{\\sangokushianalogynumber{2}}"
        "\\phantomsection\\label{\\detokenize{wei:analogy-wei}}\\endgroup"
    ) in tex
    # \ref prints \@currentlabel, i.e. the number in the title
    numref = "\\hyperref[\\detokenize{wei:analogy-wei}]{比喩\\ref{\\detokenize{wei:analogy-wei}}}"
    assert numref in tex
    # the root document's title becomes the PDF title and has no label: link the document;
    # Japanese page references
    assert "\\detokenize{index:id1}" not in tex
    assert (
        "参照元：\\sangokushianalogyplace{{\\hyperref[\\detokenize{index::doc}]{\\sphinxcrossref{本}}}"
        "（\\pageref{\\detokenize{index::doc}}ページ）}"
    ) in tex
    assert "\\sphinxlineitem{比喩2\u3000OpenAI ≒ 魏}" in tex
    assert "人物：サム・アルトマン＝曹操、Microsoft＝司馬懿" in tex


# -- text, EPUB and the other builders ----------------------------------------


@pytest.mark.sphinx("text", testroot="analogy-basic", freshenv=True)
def test_text(app: SphinxTestApp) -> None:
    app.build()
    assert warnings(app) == ""
    text = read(app, "wei.txt")
    assert (
        "Analogy 1 OpenAI ≒ Wei\n"
        "----------------------\n"
        "\n"
        "   +------------+------------+\n"
        "   | Modern     | Historical |\n"
    ) in text
    assert "   Wei was the **first** of the three kingdoms.\n" in text
    assert "   Referenced from: Shu chapter, Wu\n" in text
    table = read(app, "appendix.txt")
    assert "| No. | Modern" in table
    assert "| 2   | Google" in table


@pytest.mark.sphinx("epub", testroot="analogy-basic", freshenv=True)
def test_epub(app: SphinxTestApp) -> None:
    app.build()
    assert warnings(app) == ""
    assert 'href="_static/analogy.css" media-type="text/css"' in read(app, "content.opf")
    assert "var(" not in read(app, "_static/analogy.css")
    # the correspondence table is a list per box in e-books (phones, vertical writing)
    listing = read(app, "appendix.xhtml")
    assert '<dl class="analogy-table analogy-list' in listing
    assert '<dt>Analogy 1 OpenAI <span class="analogy-sep">≒</span> Wei</dt>' in listing
    assert "<p>Figures: Sam Altman = Cao Cao, Microsoft = Sima Yi</p>" in listing
    wei = read(app, "wei.xhtml")
    assert 'href="_static/analogy.css' in wei
    title = re.search(r'<p class="analogy-title">.*?</p>', wei).group(0)
    assert "headerlink" not in title
    assert '<span class="analogy-number">Analogy 1</span>' in title


@pytest.mark.parametrize(
    "builder", ["singlehtml", "dirhtml", "man", "texinfo", "xml", "pseudoxml", "gettext"]
)
def test_other_builders(make_app, tmp_path: Path, builder: str) -> None:
    app = make_app(builder, srcdir=ROOTS / "test-analogy-basic", builddir=tmp_path)
    app.build()
    assert warnings(app) == ""
    if builder == "singlehtml":
        html = read(app, "index.html")
        assert '<span class="analogy-number">Analogy 3</span>' in html
        assert 'href="#analogy-shu"' in html


# -- a user's own nodes with the extension's class names ------------------------

USERCLASS = ROOTS / "test-analogy-userclass"


def tables(markup: str, tag: str) -> list[str]:
    return re.findall(rf"<{tag}[ >].*?</{tag}>", markup, re.S)


@pytest.mark.parametrize("builder", ["html", "epub"])
def test_user_classes_html(tmp_path: Path, builder: str) -> None:
    """A user's table, list and container with the extension's classes stay the user's."""
    build = sphinx_build(USERCLASS, tmp_path, builder)
    assert build.warnings == ""
    page = (build.outdir / ("index.html" if builder == "html" else "index.xhtml")).read_text()
    user = [table for table in tables(page, "table") if "user cell A1" in table]
    assert len(user) == 1
    assert "analogy-cell-label" not in user[0]
    assert "<td><p>user cell A1</p></td>" in user[0]
    figures = [table for table in tables(page, "table") if "User head 1" in table]
    assert len(figures) == 1 and "<td><p>user figure A</p></td>" in figures[0]
    assert "<dt>user term ≒ kept</dt>" in page
    assert "<p>A container with all of them, holding a paragraph.</p>" in page
    # the extension's own table or list is still dressed
    if builder == "html":
        ours = [table for table in tables(page, "table") if "OpenAI" in table and "No." in table]
        assert len(ours) == 1 and "analogy-cell-label" in ours[0]
    else:
        assert '<span class="analogy-sep">≒</span>' in tables(page, "dl")[0]


@pytest.mark.parametrize("layout", ["list", "table"])
def test_user_classes_latex(tmp_path: Path, layout: str) -> None:
    build = sphinx_build(USERCLASS, tmp_path, "latex", analogy_table_layout={"latex": layout})
    assert build.warnings == ""
    tex = (build.outdir / "analogyuserclasses.tex").read_text()
    assert "user cell A1" in tex and "User head 1" in tex and "user figure A" in tex
    # only the box's own figures become figure rows, only the extension's list its environment
    assert tex.count("\\begin{sangokushianalogyfigures}") == 1
    assert "\\sangokushianalogyfigure{Sam Altman}{Cao Cao}" in tex
    assert "\\sphinxlineitem{user term ≒ kept}" in tex
    assert tex.count("\\begin{sangokushianalogylist}") == (layout == "list")
    # only the extension's table gets its column widths and ragged cells
    groups = tex.count("\\begin{sangokushianalogytable}")
    assert groups == (layout == "table")
    if layout == "table":
        start = tex.index("\\begin{sangokushianalogytable}")
        assert "OpenAI" in tex[start : tex.index("\\end{sangokushianalogytable}", start)]


# -- bad input ----------------------------------------------------------------

BAD = [
    (
        "bad.md:3",
        "analogy 'ok': unknown option :colour: (known: :modern:, :historical:, "
        ":figures:) [analogy.option]",
    ),
    ("bad.md:9", "analogy box without an id [analogy.id]"),
    ("bad.md:14", "invalid analogy id 'bad id!' (use letters, digits, '-' and '_') [analogy.id]"),
    ("bad.md:19", "analogy 'nomodern' needs a non-empty :modern: option [analogy.option]"),
    ("bad.md:23", "analogy 'emptyhist' needs a non-empty :historical: option [analogy.option]"),
    (
        "bad.md:28",
        "analogy 'figs': figure 'Z' has no '=' (write 'modern = historical') [analogy.figures]",
    ),
    ("bad.md:28", "analogy 'figs': figure '= W' has an empty side [analogy.figures]"),
    ("bad.md:28", "analogy 'figs': figure 'V =' has an empty side [analogy.figures]"),
    ("bad.md:53", "analogy 'figs-double': figure 'a == b' has more than one '=' [analogy.figures]"),
    (
        "bad.md:59",
        "analogy 'figs-semicolons': empty figure between ';' separators [analogy.figures]",
    ),
    (
        "bad.md:65",
        "analogy 'figs-empty': empty :figures: option (write 'modern = historical; …' "
        "or leave it out) [analogy.figures]",
    ),
    ("bad.md:39", "duplicate analogy id 'dup', also defined at bad.md:34 [analogy.duplicate]"),
    ("other.md:5", "duplicate analogy id 'ok', also defined at bad.md:3 [analogy.duplicate]"),
    ("bad.md:44", "unknown analogy id 'gone' [ref.ref]"),
    ("bad.md:46", "analogy-table takes no argument, got 'extra' [analogy.table]"),
    ("bad.md:49", "analogy-table takes no content [analogy.table]"),
    (
        "clash.md:4",
        "analogy id 'clash' is also a label in clash.md; {numref} and {ref} reach that label "
        "[analogy.id]",
    ),
    (
        "rst.rst:4",
        "analogy 'rstbox': unknown option :colour: (known: :modern:, :historical:, "
        ":figures:) [analogy.option]",
    ),
]


def warning_lines(text: str, srcdir: Path) -> list[str]:
    prefix = f"{srcdir}{'/'}"
    return sorted(
        line.replace(prefix, "").replace(": WARNING: ", " ")
        for line in text.splitlines()
        if "WARNING" in line
    )


@pytest.mark.sphinx("html", testroot="analogy-bad", freshenv=True)
def test_bad_input_warnings(app: SphinxTestApp) -> None:
    app.build()
    assert warning_lines(warnings(app), app.srcdir) == sorted(f"{loc} {msg}" for loc, msg in BAD)
    # the boxes with bad options still render, without being numbered twice
    html = read(app, "bad.html")
    assert '<div class="analogy" id="analogy-dup">' in html
    assert html.count('id="analogy-dup"') == 1
    assert '<span class="analogy-modern">A2</span>' in html
    assert "<p>Body text.</p>" in read(app, "rst.html")
    # a malformed figure is left out, the good ones stay
    double = box(html, "figs-double")
    assert "<td><p>c</p></td>" in double and "a ==" not in double and "= b" not in double


@pytest.mark.sphinx(
    "html",
    testroot="analogy-bad",
    freshenv=True,
    confoverrides={"nitpicky": True, "nitpick_ignore": [("analogy:ref", "gone")]},
)
def test_nitpick_ignore(app: SphinxTestApp) -> None:
    app.build()
    text = warnings(app)
    assert "unknown analogy id" not in text
    assert "duplicate analogy id 'dup'" in text


def test_bad_input_fails_w_keep_going(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            str(ROOTS / "test-analogy-bad"),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = warning_lines(strip_colors(result.stderr), ROOTS / "test-analogy-bad")
    assert lines == sorted(f"{loc} {msg}" for loc, msg in BAD)


def test_printed_table_gives_a_long_number_a_character_a_digit() -> None:
    """Vertical setting stands a number of three digits or more upright, a 字 a digit
    (sangokushi.tate): a box numbered 100 needs a 番号 column 3字 wide, not 1.5 (the ×100
    bench book's vertical PDF ran 1字 past that column on every row from 100 on)."""
    from sangokushi.analogy.latextable import least_width, text_width

    assert (text_width("5"), text_width("42"), text_width("100")) == (0.5, 1.0, 3.0)
    assert least_width("100") == 3.0 and text_width("1234ページ") == 7.0
