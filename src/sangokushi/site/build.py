"""Build each edition in its own checkout with its own Makefile, driven by sphinx-polyversion."""

from __future__ import annotations

import asyncio
import fnmatch
import json
import math
import os
import re
import shutil
import signal
import subprocess
from asyncio.subprocess import DEVNULL, PIPE, STDOUT
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sphinx_polyversion.builder import Builder, BuildError
from sphinx_polyversion.driver import DefaultDriver
from sphinx_polyversion.environment import Environment
from sphinx_polyversion.git import Git, GitRef, GitRefType
from sphinx_polyversion.json import GLOBAL_ENCODER

from sangokushi.build.lock import locked
from sangokushi.build.publish import put_in_place
from sangokushi.buildinfo import commit_time
from sangokushi.site import root
from sangokushi.site.versions import SAFE_NAME, Edition, SiteError

STAMP = ".sangokushi-site.json"
ROOT_TEMPLATES = Path(__file__).resolve().parent / "root_templates"
# Bump to rebuild every edition once the way editions are assembled changes.
FORMAT = 1
DOWNLOADS = "site-downloads"
# One make step of one edition (EPUBs + PDF, or HTML) takes seconds; this only stops a hang.
STEP_TIMEOUT = 1800
# Variables a calling make hands down; they must not reach an edition's own Makefile.
MAKE_VARIABLES = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "MAKE_TERMOUT")


@dataclass(frozen=True)
class Site:
    """What ``make site`` was asked for."""

    repo: Path
    out: Path
    url: str
    venv: Path
    branch: str = "main"
    tags: str = "v*"
    # Names of the editions offered for download; empty: every edition with a label.
    downloads: tuple[str, ...] = ()

    @property
    def logs(self) -> Path:
        return self.out.with_name(self.out.name + "-logs")


@dataclass
class Report:
    built: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SiteError(f"git {' '.join(args)} failed in {repo}: {result.stderr.strip()}")
    return result.stdout.strip()


def read_stamp(folder: Path) -> dict[str, Any] | None:
    try:
        stamp = json.loads((folder / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) else None


def up_to_date(folder: Path, edition: Edition, url: str) -> bool:
    """Whether ``folder`` holds ``edition`` built from the same commit for the same URL."""
    stamp = read_stamp(folder) or {}
    recorded = (stamp.get("commit"), stamp.get("url"), stamp.get("format"))
    return recorded == (edition.commit, url, FORMAT)


# A failed step's report: the lines that say why (Sphinx's file:line warnings and errors,
# the editions entry point's own one-line errors), not merely the log's last lines.
REASON = re.compile(
    r"^(?:\S.*?:\d+: (?:WARNING|ERROR|CRITICAL|SEVERE): .*"
    r"|(?:editions|sangokushi): .*|.*Error: .*)$"
)
MAX_REASONS = 20


def reasons(text: str) -> list[str]:
    """The lines of a step's output that say why it failed."""
    found = [line for line in text.splitlines() if REASON.match(line)]
    return list(dict.fromkeys(found))[:MAX_REASONS]


class EditionBuilder(Builder[Environment, dict[str, Any]]):
    """The version's downloadable editions, then its HTML in site mode, by its own registry."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def environ(self, checkout: Path, edition: Edition) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in MAKE_VARIABLES and k not in ("POLYVERSION_DATA", "BUILDDIR", "SOURCEDIR")
        }
        # The edition's own package (conf.py's extensions, its registry), not the venv's.
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(checkout / "src"), env.get("PYTHONPATH")])
        )
        epoch = commit_time(self.site.repo, edition.commit)
        if epoch is None:
            raise SiteError(f"cannot read the time of commit {edition.commit}")
        env["SOURCE_DATE_EPOCH"] = str(epoch)
        return env

    @staticmethod
    def command(checkout: Path, build: Path, step: str, *names: str) -> list[str]:
        """The checkout's own ``sangokushi STEP`` (``list`` or ``build NAMES``) for its book.

        A version tagged before the ``sangokushi`` command has ``python -m sangokushi.editions``.
        """
        docs = checkout / "docs"
        if (checkout / "src" / "sangokushi" / "editions.py").is_file():
            where = ["--builddir", str(build), "--sourcedir", str(docs)] if step == "build" else []
            return ["-m", "sangokushi.editions", step, *where, *names]
        where = ["--builddir", str(build)] if step == "build" else []
        return ["-m", "sangokushi", step, str(docs), *names, *where]

    async def run(self, checkout: Path, env: dict[str, str], log: Path, *args: str) -> str:
        """Run the checkout's ``python ARGS`` (``EditionBuilder.command``); return its output."""
        command = [str(self.site.venv / "bin" / "python"), *args]
        # Its own session: a step that hangs (a looping TeX run) is ended with all it started.
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=checkout,
            env=env,
            stdin=DEVNULL,
            stdout=PIPE,
            stderr=STDOUT,
            start_new_session=True,
        )
        try:
            out, _ = await asyncio.wait_for(process.communicate(), STEP_TIMEOUT)
        except TimeoutError:
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
            raise BuildError(f"{' '.join(args[1:])} ran over {STEP_TIMEOUT} s") from None
        text = out.decode("utf-8", errors="replace")
        with log.open("a", encoding="utf-8") as f:
            f.write(f"$ {' '.join(command)}\n{text}\n")
        if process.returncode:
            why = reasons(text) or text.splitlines()[-10:]
            rc = process.returncode
            raise BuildError(f"{' '.join(args[1:3])} failed (exit {rc}):\n" + "\n".join(why))
        return text

    async def build(self, environment: Environment, output_dir: Path, data: Any) -> dict[str, Any]:
        edition = Edition(**data)
        checkout = environment.path
        build = checkout / "build"
        log = self.site.logs / f"{edition.name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(f"{edition.name} at {edition.commit}\n", encoding="utf-8")
        env = self.environ(checkout, edition)
        # The version's own registry says what it offers for download.
        listing = self.command(checkout, build, "list")
        registry = json.loads(await self.run(checkout, env, log, *listing))
        wanted = self.site.downloads
        offered = [e for e in registry if e["label"] and (not wanted or e["name"] in wanted)]
        if offered:
            names = [e["name"] for e in offered]
            await self.run(checkout, env, log, *self.command(checkout, build, "build", *names))
        downloads = build / DOWNLOADS / "download"
        downloads.mkdir(parents=True)
        files = []
        for entry in offered:
            published = build / entry["output"]
            shutil.copy2(published, downloads / published.name)
            files.append(
                {
                    "path": f"download/{published.name}",
                    "label": entry["label"],
                    "size": size(published),
                }
            )
        # Then the HTML in site mode: conf.py reads this data with sphinx-polyversion's `load`.
        site_data = {
            "url": self.site.url,
            "version": edition.name,
            "kind": "release" if edition.release else "branch",
            "downloads": files,
            "downloads_dir": str(build / DOWNLOADS),
        }
        html_env = {**env, "POLYVERSION_DATA": GLOBAL_ENCODER.encode(site_data)}
        html = [e["name"] for e in registry if e["form"] == "html"]
        await self.run(checkout, html_env, log, *self.command(checkout, build, "build", *html))
        stamp = {
            "version": edition.name,
            "commit": edition.commit,
            "url": self.site.url,
            "format": FORMAT,
            "built": datetime.now(tz=UTC).isoformat(timespec="seconds"),
            "downloads": [Path(f["path"]).name for f in files],
        }
        html_output = next(e["output"] for e in registry if e["form"] == "html")
        publish(build / html_output, output_dir, stamp)
        return stamp


def size(path: Path) -> str:
    n = path.stat().st_size
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{math.ceil(n / 1024)} KB"


def publish(html: Path, target: Path, stamp: dict[str, Any]) -> None:
    """Replace ``target`` by ``html`` in one exchange: readers never see half an edition.

    The same step as the editions' (``sangokushi.build.publish.put_in_place``); the staging
    folder beside ``target`` is what ``root.prune`` clears if a run is cut short.
    """
    staging = target.with_name(f".{target.name}.new")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(staging.with_name(staging.name + ".old"), ignore_errors=True)
    shutil.copytree(html, staging, ignore=shutil.ignore_patterns(".buildinfo*", ".doctrees"))
    (staging / STAMP).write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
    put_in_place(staging, target)


class SiteDriver(DefaultDriver):
    """Polyversion's driver, skipping editions already built at the same commit and URL."""

    def __init__(self, site: Site) -> None:
        vcs = Git(
            branch_regex=re.escape(site.branch),
            tag_regex=fnmatch.translate(site.tags),
            predicate=usable_ref,
        )
        super().__init__(
            site.repo,
            site.out,
            vcs=vcs,
            builder=EditionBuilder(site),
            env=Environment.factory(),
            namer=lambda ref: ref.name,
            template_dir=ROOT_TEMPLATES,
            root_data_factory=self.root_data,
        )
        self.site = site
        self.editions: dict[str, Edition] = {}
        self.report = Report()

    async def init(self) -> None:
        await super().init()
        for ref in self.targets:
            commit = git(self.site.repo, "rev-parse", f"{ref.ref}^{{commit}}")
            release = ref.type_ == GitRefType.TAG
            self.editions[ref.name] = Edition(ref.name, commit, release)
        if not self.editions:
            raise SiteError(
                f"nothing to build in {self.site.repo}: no branch {self.site.branch!r} "
                f"and no tag matching {self.site.tags!r}"
            )

    async def init_data(self, rev: GitRef, env: Environment) -> dict[str, Any]:
        edition = self.editions[rev.name]
        return {"name": edition.name, "commit": edition.commit, "release": edition.release}

    async def build_revision(self, rev: GitRef) -> None:
        edition = self.editions[rev.name]
        short = edition.commit[:10]
        if up_to_date(self.output_dir / edition.name, edition, self.site.url):
            print(f"site: {edition.name} ({short}) up to date, not rebuilt")
            self.report.skipped.append(edition.name)
            self.build_succeeded(rev, None)
            return
        print(f"site: {edition.name} ({short}) building ...", flush=True)
        try:
            await super().build_revision(rev)
        except (OSError, subprocess.CalledProcessError, SiteError) as exc:
            self.report.failed[edition.name] = f"{type(exc).__name__}: {exc}"
            return
        if edition.name not in self.report.failed:
            self.report.built.append(edition.name)
            print(f"site: {edition.name} ({short}) built")

    def build_failed(self, rev: GitRef, exc_info: Any) -> None:
        self.report.failed[rev.name] = str(exc_info[1])

    def live(self) -> list[Edition]:
        return [e for e in self.editions.values() if read_stamp(self.output_dir / e.name)]

    def root_data(self, driver: DefaultDriver) -> dict[str, Any]:
        return root.context(self.output_dir, self.live(), self.site.url)

    async def build_root(self) -> None:
        root.prune(self.output_dir, keep=set(self.editions), stamp=STAMP)
        if self.live():
            root.write(self.output_dir, self.live(), self.site.url)
            # versions.json, then index.html, sitemap.xml, robots.txt from ROOT_TEMPLATES.
            await super().build_root()


def usable_ref(repo: Path, ref: GitRef) -> bool:
    """Polyversion's ref predicate: only names usable as a folder and in a URL."""
    if SAFE_NAME.fullmatch(ref.name):
        return True
    print(f"site: skipping {ref.name!r}: not usable as a folder name in a URL")
    return False


def build_site(site: Site) -> Report:
    """Build every edition of ``site`` that is not up to date, then the site's root files."""
    if not (site.venv / "bin" / "python").exists():
        raise SiteError(f"no virtual environment at {site.venv}: run `make setup` first")
    try:
        git(site.repo, "rev-parse", "--show-toplevel")
    except SiteError:
        raise SiteError(f"{site.repo} is not a git repository (SITE_REPO)") from None
    # One `make site` at a time per site (the lock lives beside the logs, not on the site),
    # taken before the site's folder is made: `clean` locks it whenever it removes either.
    with locked(site.logs, lambda text: print(f"site: {text}", flush=True)):
        site.out.mkdir(parents=True, exist_ok=True)
        driver = SiteDriver(site)
        asyncio.run(driver.srun())
    if not any(read_stamp(site.out / name) for name in driver.editions):
        failures = "\n".join(f"{k}: {v}" for k, v in driver.report.failed.items())
        raise SiteError(f"no edition could be built:\n{failures}")
    return driver.report
