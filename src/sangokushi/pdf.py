"""Run latexmk on Sphinx's LaTeX output and publish the PDF only when it succeeded."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from sangokushi import texlog

TIMEOUT = 900


def build_pdf(tex: Path, target: Path) -> int:
    """Compile ``tex`` with latexmk (LuaLaTeX) and move the result to ``target`` atomically."""
    workdir = tex.parent
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    try:
        result = subprocess.run(
            ["latexmk", "-lualatex", "-interaction=nonstopmode", "-halt-on-error", "-f-", tex.name],
            cwd=workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        print(f"PDF build failed: latexmk ran over {TIMEOUT} s in {workdir}", file=sys.stderr)
        return 1
    built = workdir / tex.with_suffix(".pdf").name
    if result.returncode != 0 or not built.exists():
        log = workdir / tex.with_suffix(".log").name
        tail = "\n".join(result.stdout.splitlines()[-30:])
        print(f"{tail}\nPDF build failed: see {log}", file=sys.stderr)
        return result.returncode or 1
    if texlog.check(workdir / tex.with_suffix(".log").name, tex):
        return 1
    partial = target.with_suffix(".pdf.part")
    shutil.copyfile(built, partial)
    os.replace(partial, target)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m sangokushi.pdf BOOK.tex OUT.pdf", file=sys.stderr)
        return 2
    return build_pdf(Path(args[0]), Path(args[1]))


if __name__ == "__main__":
    sys.exit(main())
