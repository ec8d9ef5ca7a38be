"""Install the Debian packages a build needs (only those missing, one apt-get) and npm's tools."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

GROUPS: dict[str, tuple[str, ...]] = {
    # upLaTeX, dvipdfmx and the Japanese packages (jlreq, pxchfon, pxrubrica, HaranoAji fonts,
    # also used for the EPUB cover) for the book's PDFs; LuaLaTeX with LuaTeX-ja, the other
    # engine the extensions are tested on; the LaTeX packages Sphinx's writer loads, the Latin
    # fonts of the PDF, latexmk.
    "book": (
        "texlive-luatex",
        "texlive-lang-japanese",
        "texlive-latex-recommended",
        "texlive-latex-extra",
        "texlive-fonts-recommended",
        "texlive-plain-generic",
        "tex-gyre",
        "fonts-texgyre",
        "latexmk",
        "fonts-dejavu-core",
    ),
    # pdftotext/pdffonts, a browser with Japanese fonts for the site tests, Java for EPUBCheck.
    "test": (
        "poppler-utils",
        "chromium",
        "fonts-ipaexfont-gothic",
        "fonts-ipaexfont-mincho",
        "default-jre-headless",
        "npm",
    ),
}
# Packages a command on PATH stands in for (a JRE or npm installed some other way).
COMMANDS: dict[str, str] = {"default-jre-headless": "java", "npm": "npm"}
# pandoc, the peer `make bench` times on the same text (the smoke run in `make test` too).
GROUPS["bench"] = ("pandoc",)
GROUPS["test"] += GROUPS["bench"]

# The checkers publishers and browsers run (DAISY Ace, axe-core, the W3C Nu checker), pinned
# in package-lock.json; `npm ci` only when the lock is newer than what is installed.
NPM_TOOLS = Path("tests") / "tools"
NPM_ENV = {"PUPPETEER_SKIP_DOWNLOAD": "1", "ELECTRON_SKIP_BINARY_DOWNLOAD": "1"}


def npm_tools(folder: Path = NPM_TOOLS) -> int:
    """``npm ci`` in ``folder`` unless its node_modules is as new as its lock file."""
    lock = folder / "package-lock.json"
    installed = folder / "node_modules" / ".package-lock.json"
    if not lock.is_file():
        return 0
    if installed.is_file() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return 0
    npm = shutil.which("npm")
    if npm is None:
        print("sysdeps: npm not found: install Debian's npm", file=sys.stderr)
        return 2
    print(f"sysdeps: npm ci in {folder}", file=sys.stderr)
    command = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    env = dict(os.environ, **NPM_ENV)
    return subprocess.run(command, cwd=folder, env=env, check=False).returncode


def missing(packages: tuple[str, ...]) -> list[str]:
    """The packages of ``packages`` that dpkg does not list as installed."""
    absent = []
    for pkg in packages:
        if pkg in COMMANDS and shutil.which(COMMANDS[pkg]):
            continue
        status = subprocess.run(
            ["dpkg-query", "-W", "-f=${db:Status-Abbrev}", pkg],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        if not status.startswith("ii"):
            absent.append(pkg)
    return absent


def install(packages: list[str]) -> int:
    """Run apt-get for ``packages`` (after ``apt-get update`` when the lists are empty)."""
    command = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
    if os.geteuid() != 0:
        print(
            "sysdeps: missing Debian packages: " + " ".join(packages) + "\n"
            "sysdeps: install them as root, then run make again:\n"
            "    sudo apt-get update && sudo " + " ".join(command),
            file=sys.stderr,
        )
        return 2
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    lists = Path("/var/lib/apt/lists")
    if not any(lists.glob("*_Packages*")):
        subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    print("sysdeps: apt-get install " + " ".join(packages), file=sys.stderr)
    result = subprocess.run(command, env=env, check=False)
    if result.returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
        result = subprocess.run(command, env=env, check=False)
    return result.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("groups", nargs="+", choices=sorted(GROUPS))
    args = parser.parse_args(argv)
    wanted = tuple(dict.fromkeys(p for g in args.groups for p in GROUPS[g]))
    absent = missing(wanted)
    status = install(absent) if absent else 0
    if status == 0 and "test" in args.groups:
        status = npm_tools()
    return status


if __name__ == "__main__":
    sys.exit(main())
