"""The ``sangokushi`` command: new, build, preview, check, list, clean, readthedocs."""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import shlex
import shutil
import signal
import sys
from pathlib import Path
from types import FrameType

from sangokushi.build.errors import STOPPING, BuildError, Interrupted
from sangokushi.facts import FactsError, load
from sangokushi.page import PAPERS

PROG = "sangokushi"


def say(text: str) -> None:
    print(f"{PROG}: {text}", flush=True)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # make passes its own SIGTERM on to this process, which a group kill has already reached:
    # the second one must not cut the clean-up short.
    for other in STOPPING:
        signal.signal(other, signal.SIG_IGN)
    raise Interrupted(signal.Signals(signum).name)


def _directory(text: str, what: str) -> Path:
    if not text.strip():
        raise BuildError(f"{what} is empty")
    return Path(text)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog=PROG, description="Build a Japanese book: HTML, EPUB (横書き・縦書き) and PDF."
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    new = commands.add_parser("new", help="start a new book in DIR (the starter book)")
    new.add_argument("dir", metavar="DIR")
    new.add_argument("--title", required=True)
    new.add_argument("--author", required=True)
    new.add_argument("--paper", default="A5", type=str.upper, choices=list(PAPERS))
    new.add_argument("--name", default="", help="file name stem (default: from the title)")
    build = commands.add_parser("build", help="build the book in DIR (default: every edition)")
    preview = commands.add_parser(
        "preview", help="build, then rebuild on every save; serve the edited page on 127.0.0.1"
    )
    check = commands.add_parser("check", help="check the book's published editions")
    listing = commands.add_parser("list", help="the book's editions, as JSON")
    clean = commands.add_parser("clean", help="remove what builds wrote in the build folder")
    for command in (build, preview, check, listing, clean):
        command.add_argument("dir", metavar="DIR", help="the book's folder (holds book.toml)")
        command.add_argument(
            "--builddir", default="", help="where editions go (default: DIR/build; $BUILDDIR)"
        )
    for command in (build, preview, check):
        command.add_argument("editions", nargs="*", metavar="EDITION", help="by name")
        command.add_argument(
            "--group", action="append", default=[], help="a make group (epub: both EPUBs)"
        )
    for command in (build, preview):
        command.add_argument(
            "--sphinxopts",
            default=os.environ.get("SPHINXOPTS", ""),
            help="more sphinx-build options",
        )
        command.add_argument(
            "-v", "--verbose", action="store_true", help="show Sphinx's output too"
        )
    preview.add_argument(
        "--port", type=int, default=int(os.environ.get("LIVE_PORT") or 8001), help="(8001)"
    )
    rtd = commands.add_parser("readthedocs", help="build the edition Read the Docs offers")
    rtd.add_argument("format", choices=["epub", "pdf"])
    rtd.add_argument("dir", metavar="DIR", nargs="?", default="docs")
    rtd.add_argument("--builddir", default="_build")
    return top


def builddir_of(args: argparse.Namespace) -> Path:
    given = args.builddir or os.environ.get("BUILDDIR", "")
    return _directory(given, "the build folder") if given else Path(args.dir) / "build"


def run(args: argparse.Namespace) -> int:
    from sangokushi.build import registry

    if args.command == "new":
        from sangokushi.build.new import create

        folder = Path(args.dir)
        path = create(folder, args.title, args.author, args.paper, args.name)
        say(f"a new book in {folder}: its facts are in {path}")
        say(f"build it: sangokushi build {shlex.quote(str(folder))}")
        return 0
    sourcedir = _directory(args.dir, "DIR")
    facts = load(sourcedir)
    editions = registry.for_book(facts)
    if args.command == "list":
        print(json.dumps([e.describe() for e in editions], ensure_ascii=False, indent=2))
        return 0
    if args.command == "readthedocs":
        from sangokushi.build.runner import Build

        output = Path(os.environ.get("READTHEDOCS_OUTPUT", "_readthedocs"))
        chosen = [e for e in editions if e.readthedocs == args.format]
        runner = Build(sourcedir, Path(args.builddir), ["-q"], editions, say=say)
        for path in runner.run(registry.with_sources(editions, chosen)):
            if path not in {e.published(runner.builddir) for e in chosen}:
                continue
            folder = output / args.format
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, folder / path.name)
        return 0
    builddir = builddir_of(args)
    if args.command == "clean":
        from sangokushi.build.publish import clean

        for path in clean(builddir, say):
            say(f"removed {path}")
        return 0
    chosen = registry.select(editions, args.editions, args.group)
    if args.command == "check":
        from sangokushi.build.checks import check

        found = check(chosen, facts, builddir, say)
        for problem in found:
            print(f"{PROG}: {problem}", file=sys.stderr)
        return 1 if found else 0
    from sangokushi.build.runner import Build

    options = shlex.split(args.sphinxopts)
    if not args.verbose:
        options.insert(0, "-q")
    chosen = registry.with_sources(editions, chosen)
    if args.command == "preview":
        from sangokushi.build.preview import Preview

        Preview(sourcedir, builddir, editions, chosen, options, say).serve(args.port)
        return 0
    Build(sourcedir, builddir, options, editions, say=say).run(chosen)
    return 0


# A large book's Sphinx environments are millions of objects that live for the whole build:
# with CPython's thresholds (700, 10, 10) a ×100 edit ran 51 full collections over them, 21 of
# its 63 s (gc.callbacks). Young collections every 50,000 allocations: 6 s, no full one.
GC_THRESHOLDS = (50_000, 20, 20)


def main(argv: list[str] | None = None) -> int:
    top = parser()
    # Edition names may also follow an option (`build DIR --builddir B pdf`).
    args, extra = top.parse_known_args(argv)
    if extra and (not hasattr(args, "editions") or any(e.startswith("-") for e in extra)):
        top.error(f"unrecognized arguments: {' '.join(extra)}")
    if extra:
        args.editions += extra
    for signum in STOPPING:
        signal.signal(signum, _interrupt)
    # Before any import of the theme: a11y_pygments (pydata-sphinx-theme's) configures the root
    # logger at INFO when imported, and libraries' INFO lines (pikepdf's) would reach the author.
    # Sphinx's own logger does not propagate to the root.
    logging.basicConfig(level=logging.WARNING, format=f"{PROG}: %(name)s: %(message)s")
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        return run(args)
    except (BuildError, FactsError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    except Interrupted as exc:
        where = getattr(args, "builddir", "") or "the build folder"
        print(
            f"{PROG}: interrupted ({exc}); nothing half-built was published in {where}",
            file=sys.stderr,
        )
        return 130
    except OSError as exc:
        print(f"{PROG}: cannot write {exc.filename or '?'}: {exc.strerror}", file=sys.stderr)
        return 1


def entry() -> None:
    """The ``sangokushi`` command: ``main``, then out of the process at once.

    Every stream is flushed, but the heap is not torn down: a book's Sphinx environments are
    hundreds of thousands of objects, and freeing them one by one at exit cost 0.24–0.4 s of
    a 3.5 s edit build (×1). Every file the build writes is closed and every thread joined
    before ``main`` returns.
    """
    status = main()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
