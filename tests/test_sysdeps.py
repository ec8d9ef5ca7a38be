"""The Debian set-up step: what it finds missing, and what it tells a user who is not root."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from sangokushi import sysdeps
from support import ROOT


def test_missing_finds_only_absent_packages() -> None:
    assert sysdeps.missing(("dpkg", "no-such-package-sangokushi")) == ["no-such-package-sangokushi"]


def test_a_command_on_path_stands_in_for_its_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sysdeps.COMMANDS, "no-such-package-sangokushi", "sh")
    assert sysdeps.missing(("no-such-package-sangokushi",)) == []
    monkeypatch.setitem(sysdeps.COMMANDS, "no-such-package-sangokushi", "no-such-command-x")
    assert sysdeps.missing(("no-such-package-sangokushi",)) == ["no-such-package-sangokushi"]


def test_non_root_gets_the_exact_apt_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sysdeps.os, "geteuid", lambda: 1000)
    assert sysdeps.install(["latexmk", "tex-gyre"]) == 2
    err = capsys.readouterr().err
    assert "missing Debian packages: latexmk tex-gyre" in err
    assert (
        "sudo apt-get update && sudo apt-get install -y -q --no-install-recommends latexmk tex-gyre"
        in err
    )


@pytest.mark.parametrize("command", ["pdftotext"])
def test_the_book_group_installs_what_a_build_runs(command: str) -> None:
    """`make book` alone sets a machine up: the package of each command the PDFs run is in it."""
    path = shutil.which(command)
    assert path is not None
    owner = subprocess.run(["dpkg", "-S", os.path.realpath(path)], capture_output=True, text=True)
    assert owner.stdout.split(":")[0] in sysdeps.GROUPS["book"], owner.stdout


def test_read_the_docs_installs_the_book_group() -> None:
    config = yaml.safe_load((ROOT / ".readthedocs.yaml").read_text(encoding="utf-8"))
    assert sorted(config["build"]["apt_packages"]) == sorted(sysdeps.GROUPS["book"])


# -- waiting for another package manager ------------------------------------------------

HOLD = """
import fcntl, sys, time
files = [open(path, "w") for path in sys.argv[2:]]
for held in files:
    fcntl.lockf(held, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(float(sys.argv[1]))
"""


def hold(seconds: float, *locks: Path) -> subprocess.Popen[str]:
    """Another process holding apt's fcntl ``locks`` for ``seconds``, as apt or dpkg do."""
    args = [sys.executable, "-c", HOLD, str(seconds), *map(str, locks)]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline() == "held\n"
    return process


def test_apt_get_waits_for_dpkgs_lock() -> None:
    assert sysdeps.apt_get("install", "x") == [
        "apt-get",
        "-o",
        f"DPkg::Lock::Timeout={sysdeps.LOCK_TIMEOUT}",
        "install",
        "x",
    ]
    assert sysdeps.LOCK_TIMEOUT >= 300


# Lock waits timed against the clock: `make test` runs them alone, after the rest.
@pytest.mark.serial
def test_wait_for_lock_waits_then_gives_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = tmp_path / "lock"
    lock.touch()
    assert sysdeps.wait_for_lock(lock, timeout=1, poll=0.05)
    assert capsys.readouterr().err == ""
    holder = hold(1.5, lock)
    start = time.monotonic()
    assert not sysdeps.wait_for_lock(lock, timeout=0.3, poll=0.05)
    assert sysdeps.wait_for_lock(lock, timeout=30, poll=0.05)
    assert time.monotonic() - start >= 1.0
    holder.wait()
    err = capsys.readouterr().err
    assert err.count(f"sysdeps: waiting for another package manager ({lock} is held)") == 2
    assert sysdeps.wait_for_lock(tmp_path / "absent")


@pytest.mark.serial
@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("apt-get") is None, reason="apt-get as root only"
)
def test_install_waits_for_a_busy_package_manager(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    # A real apt-get, pointed by APT_CONFIG at a dpkg status and lists of its own (no sources,
    # nothing to install), while another process holds their locks: 1 s the lists, 2 s dpkg's.
    # The machine's apt.conf.d is not read: no hook of its runs after this update.
    admin, lists, parts = tmp_path / "dpkg", tmp_path / "lists", tmp_path / "sources.list.d"
    for folder in (admin, lists / "partial", parts, tmp_path / "apt.conf.d"):
        folder.mkdir(parents=True)
    (admin / "status").touch()
    config = tmp_path / "apt.conf"
    config.write_text(
        f'Dir::Etc::parts "{tmp_path / "apt.conf.d"}";\n'
        'Dir::Etc::main "/dev/null";\n'
        f'Dir::State::status "{admin / "status"}";\n'
        f'Dir::State::Lists "{lists}";\n'
        'Dir::Etc::sourcelist "/dev/null";\n'
        f'Dir::Etc::sourceparts "{parts}";\n'
        'Dir::Cache::pkgcache "";\n'
        'Dir::Cache::srcpkgcache "";\n'
    )
    monkeypatch.setenv("APT_CONFIG", str(config))
    monkeypatch.setattr(sysdeps, "LISTS", lists)
    lists_holder = hold(1, lists / "lock")
    dpkg_holder = hold(2, admin / "lock-frontend")
    start = time.monotonic()
    assert sysdeps.install([]) == 0
    assert time.monotonic() - start >= 1.5
    lists_holder.wait()
    dpkg_holder.wait()
    out, err = capfd.readouterr()
    assert f"waiting for another package manager ({lists / 'lock'} is held)" in err
    assert f"Waiting for cache lock: Could not get lock {admin / 'lock-frontend'}" in out + err
