"""``python -m sangokushi.site build|serve``: what ``make site`` and ``make serve`` run."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sangokushi.site.versions import SiteError, base_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sangokushi.site", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build every release and the branch into OUT")
    build.add_argument("--repo", type=Path, default=Path("."), help="git repository (default: .)")
    build.add_argument("--out", type=Path, default=Path("build/site"))
    build.add_argument("--url", default="http://localhost:8000/", help="the site's base URL")
    build.add_argument("--venv", type=Path, default=Path(".venv"))
    build.add_argument("--branch", default="main", help="the branch being written")
    build.add_argument("--tags", default="v*", help="glob of the release tags")
    serve = commands.add_parser("serve", help="serve a built site on this machine")
    serve.add_argument("site", type=Path)
    serve.add_argument("--url", default="http://localhost:8000/")
    args = parser.parse_args(argv)
    try:
        url = base_url(args.url)
        if args.command == "serve":
            from sangokushi.site.serve import serve as run_server

            if not (args.site / "index.html").is_file():
                raise SiteError(f"no site in {args.site}/: run `make site` first")
            run_server(args.site, url)
            return 0
        from sangokushi.site.build import Site, build_site

        site = Site(
            repo=args.repo.resolve(),
            out=args.out.resolve(),
            url=url,
            venv=args.venv.absolute(),
            branch=args.branch,
            tags=args.tags,
        )
        report = build_site(site)
    except SiteError as error:
        print(f"site: {error}", file=sys.stderr)
        return 2
    if report.failed:
        for name, message in report.failed.items():
            print(
                f"site: {name} failed (full log: {site.logs / name}.log)\n{message}",
                file=sys.stderr,
            )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
