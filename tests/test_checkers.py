"""The checkers publishers and browsers run, as real tools: DAISY Ace, axe-core, W3C Nu."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from chromium import CHROMIUM, EPUBS, html_pages, launch

from sangokushi.ebook.check import JAVA_OPTIONS
from support import ROOT

TOOLS = ROOT / "tests" / "tools" / "node_modules"
ACE = TOOLS / ".bin" / "ace-cli"
AXE = TOOLS / "axe-core" / "axe.min.js"
VNU = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
FAILING_IMPACTS = ("serious", "critical")

pytestmark = pytest.mark.slow


def need(tool: Path) -> Path:
    if not tool.exists():
        pytest.fail(f"{tool} is missing: `make test` installs it (npm ci in tests/tools)")
    return tool


@pytest.mark.parametrize("edition", sorted(EPUBS))
def test_daisy_ace_finds_no_violation(book: Path, edition: str, tmp_path: Path) -> None:
    env = dict(os.environ, PUPPETEER_EXECUTABLE_PATH=CHROMIUM, PUPPETEER_SKIP_DOWNLOAD="1")
    epub = book / EPUBS[edition]
    run = subprocess.run(
        [str(need(ACE)), "-f", "-s", "-o", str(tmp_path), str(epub)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    report_file = tmp_path / "report.json"
    assert report_file.is_file(), run.stdout[-2000:] + run.stderr[-2000:]
    report = json.loads(report_file.read_text(encoding="utf-8"))
    violations = [
        f"{doc['earl:testSubject']['url']}: {a['earl:test']['dct:title']} "
        f"({a['earl:test']['earl:impact']}): {a['earl:test'].get('dct:description', '')}"
        for doc in report["assertions"]
        for a in doc["assertions"]
    ]
    assert violations == [], "\n".join(violations)
    assert report["earl:result"]["earl:outcome"] == "pass"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    yield from launch()


def test_axe_core_light_and_dark(browser, book: Path) -> None:
    """Every HTML page in both colour modes: no serious or critical violation."""
    axe = need(AXE).read_text(encoding="utf-8")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page = context.new_page()
    found: list[str] = []
    backgrounds: set[str] = set()
    pages = html_pages(book / "html")
    for html in pages:
        page.goto(html.as_uri())
        page.wait_for_load_state("load")
        page.add_script_tag(content=axe)
        # The theme fades colours when the mode changes: check the end state, not the fade.
        page.add_style_tag(content="*, *::before, *::after { transition: none !important; }")
        for mode in ("light", "dark"):
            page.evaluate(
                "(mode) => { document.documentElement.dataset.theme = mode;"
                " document.documentElement.dataset.mode = mode; }",
                mode,
            )
            backgrounds.add(page.evaluate("getComputedStyle(document.body).backgroundColor"))
            result = page.evaluate(
                "async () => await axe.run(document, {resultTypes: ['violations']})"
            )
            for violation in result["violations"]:
                if violation["impact"] in FAILING_IMPACTS:
                    targets = [", ".join(map(str, n["target"])) for n in violation["nodes"][:3]]
                    found.append(
                        f"{html.relative_to(book)} [{mode}] {violation['id']} "
                        f"({violation['impact']}, {len(violation['nodes'])}×): {targets}"
                    )
    context.close()
    assert len(pages) > 10
    assert len(backgrounds) == 2, f"light and dark mode not both applied: {backgrounds}"
    assert found == [], "\n".join(found)


def test_nu_html_checker_finds_no_error(book: Path) -> None:
    if shutil.which("java") is None:
        pytest.fail("java not found: the Nu checker needs a Java runtime")
    pages = html_pages(book / "html")
    # EPUBCheck's JIT options; the schema's recursion then needs a larger stack than 1 MB.
    java = ["java", *JAVA_OPTIONS, "-Xss16m", "-jar", str(need(VNU))]
    run = subprocess.run(
        [*java, "--errors-only", "--format", "json", *map(str, pages)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    messages = json.loads(run.stderr or run.stdout)["messages"]
    errors = [
        f"{m.get('url', '').rsplit('/html/', 1)[-1]}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m.get("type") == "error" or m.get("subType") == "fatal"
    ]
    assert errors == [], "\n".join(errors)
