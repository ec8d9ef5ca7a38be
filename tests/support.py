"""Helpers for the tests: the project's paths and its Makefile."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def make(*targets: str, check: bool = True, **variables: str | Path) -> subprocess.CompletedProcess:
    """Run the project's Makefile as a user would."""
    args = ["make", "-C", str(ROOT), *targets, *(f"{k}={v}" for k, v in variables.items())]
    result = subprocess.run(args, capture_output=True, text=True, check=False, env=os.environ)
    if check and result.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    return result
