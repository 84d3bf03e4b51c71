#!/usr/bin/env bash
# From `apt install ./lathe_*.deb` on a fresh Debian 12 root to a first trained step, as a new
# user would: the .deb's size and Installed-Size, what apt fetches and installs with it (the
# download and the install timed apart), the installed files' footprint, `lathe-cli train` on
# the packaged default config from a folder outside any source tree (--max-steps 1: the first
# step; --max-steps 5: a few; each time is the whole command: loading Fashion-MNIST, the steps,
# and the test pass a run ends with), `lathe-cli plugins` (the bundled plugins, from /usr), and
# the window started offscreen until it is shown (`lathe --quit-when-ready`).
# Usage (as root: chroot, mounts):
#   bench/deb_first_step.sh DEB [FRESH_ROOT]
# FRESH_ROOT (default /tmp/deb12root) is a Debian 12 root as debootstrap leaves it; made
# with `debootstrap bookworm FRESH_ROOT http://deb.debian.org/debian` when missing (its time is
# printed). Every run works in a copy (FRESH_ROOT.run, replaced), so the root stays fresh and the
# bench can be rerun. The copy gets this machine's apt sources and resolv.conf, and proc, sys and
# dev mounted (unmounted on exit); no service starts (policy-rc.d). Needs the network to the
# Debian mirror. Prints one "figure:" line per figure; the log is FRESH_ROOT.run.log.
set -euo pipefail
deb="$(realpath "${1:?usage: bench/deb_first_step.sh DEB [FRESH_ROOT]}")"
fresh="${2:-/tmp/deb12root}"
work="$fresh.run"
log="$work.log"
[[ $(id -u) -eq 0 ]] || {
    echo "deb_first_step: run as root (chroot and mounts)" >&2
    exit 1
}
: >"$log"
seconds() { date +%s.%N; }
elapsed() { printf '%.1f' "$(echo "$(seconds) - $1" | bc)"; }
figure() { echo "figure: $*" | tee -a "$log"; }

if [[ ! -d "$fresh" ]]; then
    start=$(seconds)
    debootstrap bookworm "$fresh" http://deb.debian.org/debian >>"$log" 2>&1
    figure "debootstrap bookworm: $(elapsed "$start") s, $(du -sh "$fresh" | cut -f1)"
fi

unmount() {
    for m in dev/pts dev sys proc; do
        mountpoint -q "$work/$m" && umount "$work/$m"
    done
    return 0
}
trap unmount EXIT
if [[ -d "$work" ]]; then
    unmount
    # Never delete through a mount still in place.
    if findmnt -rn -o TARGET | grep -q "^$work/"; then
        echo "deb_first_step: $work still has mounts" >&2
        exit 1
    fi
    rm -rf "$work"
fi
cp -a "$fresh" "$work"
rm -f "$work/etc/apt/sources.list"
cp -a /etc/apt/sources.list* "$work/etc/apt/" 2>/dev/null || true
rm -f "$work"/etc/apt/sources.list.d/*.disabled*
cp -L /etc/resolv.conf "$work/etc/resolv.conf"
printf '#!/bin/sh\nexit 101\n' >"$work/usr/sbin/policy-rc.d"
chmod +x "$work/usr/sbin/policy-rc.d"
mount -t proc proc "$work/proc"
mount -t sysfs sys "$work/sys"
mount --bind /dev "$work/dev"
mount --bind /dev/pts "$work/dev/pts"
cp "$deb" "$work/tmp/"
in_root() { chroot "$work" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"; }

figure "deb: $(basename "$deb"), $(stat -c %s "$deb") bytes ($(du -h "$deb" | cut -f1))," \
    "Installed-Size $(dpkg-deb -f "$deb" Installed-Size) KiB"
figure "Depends: $(dpkg-deb -f "$deb" Depends)"
figure "Recommends: $(dpkg-deb -f "$deb" Recommends)"

start=$(seconds)
in_root apt-get update -qq >>"$log" 2>&1
figure "apt-get update: $(elapsed "$start") s"
# The download and the install timed apart: first into apt's cache, then from it.
start=$(seconds)
in_root apt-get install -y --download-only "/tmp/$(basename "$deb")" >"$work.download" 2>&1
download=$(elapsed "$start")
cat "$work.download" >>"$log"
figure "download: $download s; $(grep -E '^Need to get' "$work.download" || echo '?')"
figure "$(grep -E 'newly installed' "$work.download" || echo '? newly installed')"
figure "$(grep -E '^After this operation' "$work.download" || echo '?')"
start=$(seconds)
in_root apt-get install -y "/tmp/$(basename "$deb")" >>"$log" 2>&1
install=$(elapsed "$start")
figure "install (from the cache): $install s"

# The footprint of the package's own files (directories not counted).
in_root sh -c 'dpkg -L lathe | while read -r f; do [ -f "$f" ] && echo "$f"; done |
    xargs du -ch | tail -1' >"$work.du"
figure "installed files (du): $(cut -f1 "$work.du")"

# A first user: a folder of their own, the packaged default config, no build tree anywhere.
in_root sh -c 'mkdir -p /root/first && cd /root/first && lathe-cli --version' | tee -a "$log"
for steps in 1 5; do
    start=$(seconds)
    in_root sh -c "cd /root/first && lathe-cli train /usr/share/lathe/configs/fashion-cnn.json \
        --max-steps $steps --name first-$steps" >>"$log" 2>&1 || {
        tail -20 "$log" >&2
        echo "deb_first_step: lathe-cli train failed" >&2
        exit 1
    }
    took=$(elapsed "$start")
    [[ $steps == 1 ]] && first=$took
    figure "lathe-cli train fashion-cnn.json --max-steps $steps: $took s"
done
in_root sh -c 'cd /root/first && lathe-cli plugins' | tee -a "$log"
# The window, with no display: shown offscreen, then quits.
start=$(seconds)
in_root sh -c 'cd /root/first && QT_QPA_PLATFORM=offscreen lathe --quit-when-ready' >>"$log" 2>&1
figure "lathe --quit-when-ready (offscreen): $(elapsed "$start") s"
figure "apt install to first step: download $download s + install $install s + first step" \
    "$first s = $(echo "$download + $install + $first" | bc) s"
figure "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
