#!/usr/bin/env bash
# Cold start of the workbench to a shown, responsive window (target <= 2 s): runs
# `lathe --quit-when-ready` N times under Xvfb with a fresh store and settings each time and
# prints each wall time and the median. Usage: bench/gui_startup.sh [N=5]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
n="${1:-5}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat > "$work/probe.sh" <<PROBE
#!/usr/bin/env bash
for i in \$(seq $n); do
    rm -rf "$work/state"
    start=\$(date +%s.%N)
    XDG_CONFIG_HOME="$work/state/config" XDG_DATA_HOME="$work/state/data" \
        "$build/app/gui/lathe" --db "$work/state/lathe.db" --quit-when-ready
    end=\$(date +%s.%N)
    awk "BEGIN { print \$end - \$start }"
done
PROBE
chmod +x "$work/probe.sh"
times=$(xvfb-run -a -s "-screen 0 1600x1000x24" "$work/probe.sh")
echo "cold start to a shown window, seconds:" $times
echo "$times" | sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; printf "median %.3f s (target <= 2 s: %s)\n", m, (m <= 2 ? "met" : "NOT met")}'
