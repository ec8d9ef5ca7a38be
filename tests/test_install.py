"""The package installed alone (`pip install .`, no extras) in a fresh venv, as an author would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from test_site import working_tree

from sangokushi import fidelity
from sangokushi.ebook.check import run_epubcheck
from support import BY_NAME, ROOT, pdftotext

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A copy of this working tree and a new venv with it installed (no extras, no -e)."""
    root = tmp_path_factory.mktemp("install")
    checkout = working_tree(root / "checkout")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         str(checkout)],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return checkout, venv


def run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)


def test_a_new_books_html_from_the_package_alone(fresh: tuple[Path, Path], tmp_path: Path) -> None:
    _, venv = fresh
    command = str(venv / "bin" / "sangokushi")
    book = tmp_path / "book"
    made = run([command, "new", str(book), "--title", "森の本", "--author", "森田"])
    assert made.returncode == 0, made.stderr
    # Nothing but the venv on PATH: no TeX, no git.
    env = {"PATH": str(venv / "bin"), "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    built = run([command, "build", str(book), "html"], env=env)
    assert built.returncode == 0, built.stdout + built.stderr
    page = (book / "build" / "html" / "index.html").read_text(encoding="utf-8")
    assert "森の本" in page
    pdf = run([command, "build", str(book), "pdf"], env=env)
    assert pdf.returncode == 1 and "Traceback" not in pdf.stderr
    assert "uplatex not found: the PDF editions need TeX Live" in pdf.stderr
    assert not (book / "build" / "pdf").exists()


def test_a_pdf_without_poppler_says_which_package(fresh: tuple[Path, Path], tmp_path: Path) -> None:
    """The page map reads a PDF back with pdftotext: missing, the build names its Debian package
    (one `make book` installs) before any TeX runs."""
    _, venv = fresh
    command = str(venv / "bin" / "sangokushi")
    book = tmp_path / "book"
    assert run([command, "new", str(book), "--title", "森の本", "--author", "森田"]).returncode == 0
    tools = tmp_path / "bin"  # every command of /usr/bin but poppler's pdftotext
    tools.mkdir()
    for found in Path("/usr/bin").iterdir():
        if found.name != "pdftotext":
            (tools / found.name).symlink_to(found)
    env = {"PATH": f"{venv / 'bin'}:{tools}", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    pdf = run([command, "build", str(book), "pdf"], env=env)
    assert pdf.returncode == 1 and "Traceback" not in pdf.stderr, pdf.stderr
    assert "pdftotext not found" in pdf.stderr and "poppler-utils" in pdf.stderr, pdf.stderr
    assert not (book / "build" / "pdf").exists()
    assert not list((book / "build").rglob("*.log"))  # TeX never ran


def test_readthedocs_commands_in_a_fresh_venv(fresh: tuple[Path, Path], tmp_path: Path) -> None:
    """The steps of .readthedocs.yaml, run as RTD runs them, with the package RTD installs."""
    checkout, venv = fresh
    config = yaml.safe_load((ROOT / ".readthedocs.yaml").read_text(encoding="utf-8"))
    assert config["python"]["install"] == [{"method": "pip", "path": "."}]
    assert config["sphinx"] == {"configuration": "docs/conf.py", "fail_on_warning": True}
    output = tmp_path / "_readthedocs"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("POLYVERSION_", "MAKE"))},
        "READTHEDOCS": "True",
        "READTHEDOCS_OUTPUT": str(output),
        "READTHEDOCS_CANONICAL_URL": "https://llm-sangokushi.readthedocs.io/ja/latest/",
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
    }
    env.pop("PYTHONPATH", None)
    commands = [
        f"cd docs && python -m sphinx -T -W --keep-going -b html -d _build/doctrees "
        f"-D language=ja . {output}/html",
        *config["build"]["jobs"]["build"]["pdf"],
        *config["build"]["jobs"]["build"]["epub"],
    ]
    for command in commands:
        result = run(["bash", "-c", command], cwd=checkout, env=env)
        assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}{result.stderr[-3000:]}"
    pdf, epub = BY_NAME["pdf"].filename, BY_NAME["epub"].filename
    assert [p.name for p in (output / "pdf").iterdir()] == [pdf]
    assert [p.name for p in (output / "epub").iterdir()] == [epub]
    assert "諸葛亮" in fidelity.normalize(pdftotext(output / "pdf" / pdf))
    checked = run_epubcheck(output / "epub" / epub)
    assert checked.ok, checked.messages
    html = (output / "html" / "shu.html").read_text(encoding="utf-8")
    assert (
        '<link rel="canonical" href="https://llm-sangokushi.readthedocs.io/ja/latest/shu.html" />'
        in html
    )
    assert "theme_switcher_json_url" not in html  # RTD has its own version menu
