"""Install the Debian packages a build needs (only those missing, one apt-get) and npm's tools."""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

GROUPS: dict[str, tuple[str, ...]] = {
    # upLaTeX, dvipdfmx and the Japanese packages (jlreq, pxchfon, pxrubrica, HaranoAji fonts,
    # also used for the EPUB cover) for the book's PDFs; LuaLaTeX with LuaTeX-ja, the other
    # engine the extensions are tested on; the LaTeX packages Sphinx's writer loads, the Latin
    # fonts of the PDF; poppler's pdftotext, which reads a PDF's pages back for the
    # EPUB's page list (sangokushi.pagemap).
    "book": (
        "texlive-luatex",
        "texlive-lang-japanese",
        "texlive-latex-recommended",
        "texlive-latex-extra",
        "texlive-fonts-recommended",
        "texlive-plain-generic",
        "tex-gyre",
        "fonts-texgyre",
        "fonts-dejavu-core",
        "poppler-utils",
    ),
    # A browser with Japanese fonts for the site tests, Java for EPUBCheck,
    # Calibre (a library's and the Kindle path's reading of the EPUBs), Ghostscript (the print
    # shop PDFs' inks, sangokushi.build.checks).
    "test": (
        "chromium",
        "fonts-ipaexfont-gothic",
        "fonts-ipaexfont-mincho",
        "default-jre-headless",
        "npm",
        "qpdf",
        "calibre",
        "ghostscript",
    ),
}
# Packages a command on PATH stands in for (a JRE or npm installed some other way).
COMMANDS: dict[str, str] = {"default-jre-headless": "java", "npm": "npm"}
# pandoc, the peer `make bench` times on the same text (the smoke run in `make test` too).
GROUPS["bench"] = ("pandoc",)
GROUPS["test"] += GROUPS["bench"]
# Vivliostyle CLI, `make bench`'s other peer, from npm (BENCH_TOOLS), on Debian's Chromium.
GROUPS["bench"] += ("npm", "chromium")

# The checkers publishers and browsers run (DAISY Ace, axe-core, the W3C Nu checker), pinned
# in package-lock.json; `npm ci` only when the lock is newer than what is installed.
NPM_TOOLS = Path("tests") / "tools"
BENCH_TOOLS = Path("bench") / "tools"
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


# How long set-up waits for another package manager (an unattended upgrade, a second
# `make`) to finish with dpkg or apt's lists, instead of failing at once.
LOCK_TIMEOUT = 600
LISTS = Path("/var/lib/apt/lists")


def apt_get(*args: str) -> list[str]:
    """An apt-get command that waits up to LOCK_TIMEOUT seconds for dpkg's locks."""
    return ["apt-get", "-o", f"DPkg::Lock::Timeout={LOCK_TIMEOUT}", *args]


def wait_for_lock(lock: Path, timeout: float = LOCK_TIMEOUT, poll: float = 1.0) -> bool:
    """Wait until no process holds apt's fcntl ``lock``; False if one still does at ``timeout``.

    ``apt-get update`` does not wait for its lists lock (DPkg::Lock::Timeout covers dpkg's
    locks only): this does, saying so once.
    """
    try:
        fd = os.open(lock, os.O_RDWR)
    except FileNotFoundError:
        return True  # apt creates it when it first locks: nobody holds it
    deadline = time.monotonic() + timeout
    told = False
    try:
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                if time.monotonic() >= deadline:
                    return False
                if not told:
                    print(
                        f"sysdeps: waiting for another package manager ({lock} is held), "
                        f"up to {timeout:.0f} s",
                        file=sys.stderr,
                        flush=True,
                    )
                    told = True
                time.sleep(poll)
            else:
                fcntl.lockf(fd, fcntl.LOCK_UN)
                return True
    finally:
        os.close(fd)


def update(env: dict[str, str]) -> None:
    """``apt-get update``, once no other package manager holds the lists."""
    if not wait_for_lock(LISTS / "lock"):
        print(f"sysdeps: {LISTS / 'lock'} still held after {LOCK_TIMEOUT} s", file=sys.stderr)
    subprocess.run(apt_get("update", "-q"), check=True, env=env)


def install(packages: list[str]) -> int:
    """Run apt-get for ``packages`` (after ``apt-get update`` when the lists are empty)."""
    args = ["install", "-y", "-q", "--no-install-recommends", *packages]
    if os.geteuid() != 0:
        print(
            "sysdeps: missing Debian packages: " + " ".join(packages) + "\n"
            "sysdeps: install them as root, then run make again:\n"
            "    sudo apt-get update && sudo apt-get " + " ".join(args),
            file=sys.stderr,
        )
        return 2
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if not any(LISTS.glob("*_Packages*")):
        update(env)
    print("sysdeps: apt-get install " + " ".join(packages), file=sys.stderr, flush=True)
    result = subprocess.run(apt_get(*args), env=env, check=False)
    if result.returncode != 0:
        update(env)
        result = subprocess.run(apt_get(*args), env=env, check=False)
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
    if status == 0 and "bench" in args.groups:
        status = npm_tools(BENCH_TOOLS)
    return status


if __name__ == "__main__":
    sys.exit(main())
