"""The Debian set-up step: what it finds missing, and what it tells a user who is not root."""

from __future__ import annotations

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


def test_read_the_docs_installs_the_book_group() -> None:
    config = yaml.safe_load((ROOT / ".readthedocs.yaml").read_text(encoding="utf-8"))
    assert sorted(config["build"]["apt_packages"]) == sorted(sysdeps.GROUPS["book"])
