"""Where one TeX pass of the book goes: engine, Japanese class, preamble, pages, PDF output."""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from sangokushi.bench.run import build_env, run
from sangokushi.book import LATEX_ENGINE

EMPTY = "\\documentclass%s{%s}\\begin{document}%s\\end{document}\n"
# Empty documents on both engines: what the engine and its Japanese support cost alone.
VARIANTS: dict[str, tuple[str, str]] = {
    "lualatex, empty article": ("lualatex", EMPTY % ("", "article", "x")),
    "lualatex + LuaTeX-ja (ltjsbook), empty": ("lualatex", EMPTY % ("", "ltjsbook", "字")),
    "uplatex, empty article": ("uplatex", EMPTY % ("", "article", "x")),
    "uplatex + jlreq, empty": ("uplatex", EMPTY % ("[dvipdfmx]", "jlreq", "字")),
}


def measure(tex: Path, repeats: int = 3) -> list[tuple[str, float, float]]:
    """Median wall and CPU seconds of one pass for each variant of the book's ``tex``."""
    source = tex.read_text(encoding="utf-8")
    preamble = source[: source.index("\\begin{document}")]
    variants = dict(VARIANTS)
    book = f"{LATEX_ENGINE}, the book's"
    variants[f"{book} preamble and fonts, no pages"] = (
        LATEX_ENGINE,
        preamble + "\\begin{document}字\\end{document}\n",
    )
    variants[f"{book} whole text, one pass (aux files present)"] = (LATEX_ENGINE, source)
    # What `sangokushi build` runs: the preamble loaded from its format (build/latex.py).
    fmt = tex.with_name(f"{tex.stem}-preamble.fmt")
    if LATEX_ENGINE == "uplatex" and fmt.is_file():
        variants[f"{book} whole text, one pass, preamble from its format"] = (
            f"{LATEX_ENGINE} -fmt={fmt.stem}",
            source,
        )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = build_env(Path(tmp))
        work = Path(tmp) / "latex"
        shutil.copytree(tex.parent, work)
        for name, (engine, text) in variants.items():
            (work / "pass.tex").write_text(text, encoding="utf-8")
            for suffix in (".aux", ".toc", ".out", ".ltjruby"):
                built = work / tex.with_suffix(suffix).name
                if built.exists():
                    shutil.copyfile(built, work / f"pass{suffix}")
            command = [*engine.split(), "-interaction=nonstopmode", "-halt-on-error", "pass.tex"]
            runs = [run([command], env, work) for _ in range(repeats)]
            rows.append(
                (name, statistics.median(r[0] for r in runs), statistics.median(r[2] for r in runs))
            )
        if (work / "pass.dvi").exists():
            runs = [run([["dvipdfmx", "-q", "pass.dvi"]], env, work) for _ in range(repeats)]
            name = "dvipdfmx, the whole book"
            rows.append(
                (name, statistics.median(r[0] for r in runs), statistics.median(r[2] for r in runs))
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sangokushi.bench.passes", description=__doc__)
    parser.add_argument(
        "tex", type=Path, help="the book's .tex in a LaTeX build folder that has run"
    )
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print("| one TeX pass | wall s | CPU s |\n|---|---:|---:|")
    for name, seconds, cpu in measure(args.tex, args.repeats):
        print(f"| {name} | {seconds:.2f} | {cpu:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
