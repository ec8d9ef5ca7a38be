"""Build each edition in its own checkout with its own Makefile, driven by sphinx-polyversion."""

from __future__ import annotations

import asyncio
import fnmatch
import json
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

from sangokushi.site import root
from sangokushi.site.versions import SAFE_NAME, Edition, SiteError

STAMP = ".sangokushi-site.json"
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
    make: str = "make"

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


class EditionBuilder(Builder[Environment, list[str]]):
    """``make epub pdf`` then ``make html`` (in site mode) in one edition's checkout."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def environ(self, checkout: Path, edition: Edition) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in MAKE_VARIABLES and not k.startswith("SANGOKUSHI_SITE_")
        }
        # The edition's own package (conf.py's extensions), not the one installed in the venv.
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(checkout / "src"), env.get("PYTHONPATH")])
        )
        env["SOURCE_DATE_EPOCH"] = git(self.site.repo, "show", "-s", "--format=%ct", edition.commit)
        return env

    async def make(
        self, environment: Environment, env: dict[str, str], log: Path, *targets: str
    ) -> None:
        venv = self.site.venv
        command = [
            self.site.make,
            "-C",
            str(environment.path),
            # The shared venv is set up already: an edition's fresh pyproject.toml must not
            # make its Makefile reinstall the package from the checkout.
            "-o",
            f"{venv}/.installed",
            f"VENV={venv}",
            f"BUILDDIR={environment.path / 'build'}",
            *targets,
        ]
        # Its own session: a step that hangs (a looping TeX run) is ended with all it started.
        process = await asyncio.create_subprocess_exec(
            *command,
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
            raise BuildError(f"make {' '.join(targets)} ran over {STEP_TIMEOUT} s") from None
        text = out.decode("utf-8", errors="replace")
        with log.open("a", encoding="utf-8") as f:
            f.write(f"$ {' '.join(command)}\n{text}\n")
        if process.returncode:
            tail = "\n".join(text.splitlines()[-25:])
            rc = process.returncode
            raise BuildError(f"make {' '.join(targets)} failed (exit {rc}):\n{tail}")

    async def build(self, environment: Environment, output_dir: Path, data: Any) -> list[str]:
        edition = Edition(**data)
        checkout = environment.path
        build = checkout / "build"
        log = self.site.logs / f"{edition.name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(f"{edition.name} at {edition.commit}\n", encoding="utf-8")
        env = self.environ(checkout, edition)
        # The EPUBs and the PDF first, built exactly as a plain `make` builds them.
        await self.make(environment, env, log, "epub", "pdf")
        downloads = build / DOWNLOADS / "download"
        downloads.mkdir(parents=True)
        files = sorted((build / "epub").glob("*.epub")) + sorted((build / "pdf").glob("*.pdf"))
        if not files:
            raise BuildError("make epub pdf wrote no .epub or .pdf")
        for file in files:
            shutil.copy2(file, downloads / file.name)
        # Then the HTML in site mode: conf.py adds the switcher, downloads, OGP, 404 page.
        site_env = {
            **env,
            "SANGOKUSHI_SITE_URL": self.site.url,
            "SANGOKUSHI_SITE_VERSION": edition.name,
            "SANGOKUSHI_SITE_KIND": "release" if edition.release else "branch",
            "SANGOKUSHI_SITE_DOWNLOADS": str(build / DOWNLOADS),
        }
        await self.make(environment, site_env, log, "html")
        stamp = {
            "version": edition.name,
            "commit": edition.commit,
            "url": self.site.url,
            "format": FORMAT,
            "built": datetime.now(tz=UTC).isoformat(timespec="seconds"),
            "downloads": [f.name for f in files],
        }
        publish(build / "html", output_dir, stamp)
        return stamp["downloads"]


def publish(html: Path, target: Path, stamp: dict[str, Any]) -> None:
    """Replace ``target`` by ``html`` in one rename: readers never see half an edition."""
    staging = target.with_name(f".{target.name}.new")
    old = target.with_name(f".{target.name}.old")
    for leftover in (staging, old):
        shutil.rmtree(leftover, ignore_errors=True)
    shutil.copytree(html, staging, ignore=shutil.ignore_patterns(".buildinfo*", ".doctrees"))
    (staging / STAMP).write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)


class SiteDriver(DefaultDriver):
    """Polyversion's driver, skipping editions already built at the same commit and URL."""

    def __init__(self, site: Site) -> None:
        vcs = Git(
            branch_regex=re.escape(site.branch),
            tag_regex=fnmatch.translate(site.tags),
        )
        super().__init__(
            site.repo,
            site.out,
            vcs=vcs,
            builder=EditionBuilder(site),
            env=Environment.factory(),
            namer=lambda ref: ref.name,
        )
        self.site = site
        self.editions: dict[str, Edition] = {}
        self.report = Report()

    async def init(self) -> None:
        await super().init()
        targets = []
        for ref in self.targets:
            if not SAFE_NAME.fullmatch(ref.name):
                print(f"site: skipping {ref.name!r}: not usable as a folder name in a URL")
                continue
            commit = git(self.site.repo, "rev-parse", f"{ref.ref}^{{commit}}")
            release = ref.type_ == GitRefType.TAG
            self.editions[ref.name] = Edition(ref.name, commit, release)
            targets.append(ref)
        if not targets:
            raise SiteError(
                f"nothing to build in {self.site.repo}: no branch {self.site.branch!r} "
                f"and no tag matching {self.site.tags!r}"
            )
        self.targets = targets

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

    async def build_root(self) -> None:
        live = {name: e for name, e in self.editions.items() if read_stamp(self.output_dir / name)}
        root.prune(self.output_dir, keep=set(self.editions), stamp=STAMP)
        if live:
            root.write(self.output_dir, list(live.values()), self.site.url)


def build_site(site: Site) -> Report:
    """Build every edition of ``site`` that is not up to date, then the site's root files."""
    if not (site.venv / "bin" / "python").exists():
        raise SiteError(f"no virtual environment at {site.venv}: run `make setup` first")
    try:
        git(site.repo, "rev-parse", "--show-toplevel")
    except SiteError:
        raise SiteError(f"{site.repo} is not a git repository (SITE_REPO)") from None
    site.out.mkdir(parents=True, exist_ok=True)
    driver = SiteDriver(site)
    asyncio.run(driver.srun())
    if not any(read_stamp(site.out / name) for name in driver.editions):
        failures = "\n".join(f"{k}: {v}" for k, v in driver.report.failed.items())
        raise SiteError(f"no edition could be built:\n{failures}")
    return driver.report
