#!/bin/sh
# Measures `cabin journal verify` (release build) on a generated journal of N entries
# (default 1,000,000, about 480 MB): wall time, CPU time and peak RSS, best of RUNS runs, with
# the file in the page cache (the first run reads it once more to warm the cache).
#   scripts/journal-verify.sh [N] [RUNS]
set -eu
N=${1:-1000000}
RUNS=${2:-5}
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin cabin --example journal_generate
TARGET=${CARGO_TARGET_DIR:-target}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
"$TARGET/release/examples/journal_generate" "$DIR/journal.jsonl" "$N"
cat "$DIR/journal.jsonl" > /dev/null
echo "cores: $(nproc)"
i=0
while [ "$i" -lt "$RUNS" ]; do
    /usr/bin/time -f "wall %e s  cpu %U+%S s  rss %M KB" "$TARGET/release/cabin" journal verify --journal "$DIR/journal.jsonl"
    i=$((i + 1))
done
