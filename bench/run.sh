#!/usr/bin/env bash
# Times the book's builds (cold and warm) and the test suite; prints a Markdown table.
# Usage: bench/run.sh [BUILDDIR]   (default: a temporary folder)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-$(mktemp -d)}
t() { local s; s=$(date +%s.%N); "$@" >/dev/null 2>&1; python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 2))" "$s" "$(date +%s.%N)"; }
echo "| step | seconds |"
echo "|---|---|"
echo "| make html (cold) | $(t make html BUILDDIR="$out") |"
echo "| make html (warm, nothing changed) | $(t make html BUILDDIR="$out") |"
echo "| make epub (cold, both editions) | $(t make epub BUILDDIR="$out") |"
echo "| make pdf (cold, font cache warm) | $(t make pdf BUILDDIR="$out") |"
echo "| make pdf (warm) | $(t make pdf BUILDDIR="$out") |"
touch docs/wei.md
echo "| make book after touching one chapter | $(t make book BUILDDIR="$out") |"
