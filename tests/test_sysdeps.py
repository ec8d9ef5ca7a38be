"""The Debian set-up step: what it finds missing, and what it tells a user who is not root."""

from __future__ import annotations

import pytest

from sangokushi import sysdeps


def test_missing_finds_only_absent_packages() -> None:
    assert sysdeps.missing(("dpkg", "no-such-package-sangokushi")) == ["no-such-package-sangokushi"]


def test_the_book_group_is_installed_after_make() -> None:
    assert sysdeps.missing(sysdeps.GROUPS["book"]) == []


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
