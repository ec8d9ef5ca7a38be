"""``python -m sangokushi.bench``: measure, then rewrite bench/results.md and scaling.png
(``python -m sangokushi.bench targets``: the edit loop, bench/targets.md)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sangokushi.bench import loop, report
from sangokushi.bench.run import EDITIONS, SCENARIOS, measure_size


def _names(allowed: tuple[str, ...]):
    def parse(text: str) -> list[str]:
        names = [n.strip() for n in text.split(",") if n.strip()]
        unknown = sorted(set(names) - set(allowed))
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown: {', '.join(unknown)} (from {allowed})")
        return names

    return parse


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["targets"]:
        return loop.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m sangokushi.bench", description=__doc__)
    parser.add_argument("--sizes", default="1,10,40,100", help="book sizes (× the chapters)")
    parser.add_argument(
        "--editions", type=_names(EDITIONS), default=[e for e in EDITIONS if e != "html-stock"]
    )
    parser.add_argument("--scenarios", type=_names(SCENARIOS), default=list(SCENARIOS))
    parser.add_argument("--repeats", type=int, default=3, help="rounds per size and edition")
    parser.add_argument("--no-peer", dest="peer", action="store_false", help="skip pandoc")
    parser.add_argument("--no-plot", dest="plot", action="store_false")
    parser.add_argument("--docs", type=Path, default=Path("docs"), help="the book's sources")
    parser.add_argument("--work", type=Path, default=Path("build/bench"), help="scratch folder")
    parser.add_argument("--out", type=Path, default=Path("bench"), help="results folder")
    args = parser.parse_args(argv)
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes takes numbers separated by commas, not {args.sizes!r}")
    if not (args.docs / "conf.py").is_file():
        parser.error(f"{args.docs}/conf.py not found: --docs names the book's source folder")
    args.out.mkdir(parents=True, exist_ok=True)
    store = args.out / "results.json"
    records = report.load(store)
    for size in sizes:
        for record in measure_size(
            args.docs.resolve(),
            args.work.resolve(),
            size,
            args.editions,
            args.scenarios,
            args.repeats,
            args.peer,
            log=lambda line: print(line, flush=True),
        ):
            report.merge(records, [record], os.getloadavg()[0])
            report.save(store, records)  # kept after every edition: a long run can be cut short
    (args.out / "results.md").write_text(report.markdown(records), encoding="utf-8")
    if args.plot:
        report.plot(records, args.out / "scaling.png")
    print(f"bench: {args.out / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
