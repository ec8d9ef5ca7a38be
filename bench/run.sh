#!/usr/bin/env bash
# Times the book's builds (cold and warm, one make target per group of the editions registry)
# and a rebuild after touching a chapter; prints a Markdown table.
# Usage: bench/run.sh [BUILDDIR]   (default: a temporary folder)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-$(mktemp -d)}
t() { local s; s=$(date +%s.%N); "$@" >/dev/null 2>&1; python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 2))" "$s" "$(date +%s.%N)"; }
echo "| step | seconds |"
echo "|---|---|"
for group in $(PYTHONPATH=src python3 -m sangokushi.editions list --field group); do
  echo "| make $group (cold) | $(t make "$group" BUILDDIR="$out") |"
  echo "| make $group (warm, nothing changed) | $(t make "$group" BUILDDIR="$out") |"
done
touch docs/wei.md
echo "| make book after touching one chapter | $(t make book BUILDDIR="$out") |"
