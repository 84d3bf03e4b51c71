#!/usr/bin/env bash
# First-build timings as a new user meets them: a fresh clone of this repository's HEAD, then
# `scripts/run` to an open window (offscreen, --quit-when-ready; it builds the `apps` target)
# and `scripts/test` after it (the rest of the build and the suite). Done twice: with an empty
# ccache (cold) and again from a new clone at the same path (warm ccache). apt is not timed:
# missing packages are installed by the first pass. Takes ~30 minutes on 2 cores.
# Usage: bench/first_build.sh [cold [warm]]   (both by default; warm reuses the cold pass's ccache)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export CCACHE_DIR="$tmp/ccache"
printf 'cpu: %s, %s cores\n' "$(lscpu | sed -n 's/^Model name: *//p')" "$(nproc)"
timed() { # LABEL LOG COMMAND...: runs COMMAND, prints LABEL with its seconds and exit status
    local label="$1" log="$2" start rc=0
    shift 2
    start=$(date +%s)
    "$@" > "$log" 2>&1 || rc=$?
    printf '%-44s %5d s  exit %d\n' "$label" "$(($(date +%s) - start))" "$rc"
    ((rc == 0)) || tail -n 30 "$log"
}
passes=("$@")
((${#passes[@]})) || passes=(cold warm)
for pass in "${passes[@]}"; do
    rm -rf "$tmp/lathe"
    git clone -q "$root" "$tmp/lathe"
    cd "$tmp/lathe"
    timed "$pass ccache: scripts/run to an open window" "$tmp/run-$pass.log" \
        env QT_QPA_PLATFORM=offscreen scripts/run --quit-when-ready
    timed "$pass ccache: scripts/test after it" "$tmp/test-$pass.log" scripts/test
    # The build's steps and their seconds summed: how busy the cores were, which moves with the
    # machine's speed on the day as much as with the change.
    # (A step with several outputs has one line for each, with the same times and hash.)
    awk -F'\t' 'NR > 1 && !seen[$1 FS $2 FS $5]++ { n++; s += ($2 - $1) / 1000 }
                 END { printf "%s ccache: %d build steps, %d s summed\n", pass, n, s }' \
        pass="$pass" build/.ninja_log
    cd "$root"
done
