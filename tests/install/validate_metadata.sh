#!/usr/bin/env bash
# The desktop entry and the AppStream metainfo that `cmake --install` and the .deb lay out
# (packaging/): desktop-file-validate and `appstreamcli validate` pass with no error or warning,
# and the entry, its icon and the metainfo name one application id. CTest runs it as
# app.desktop_metadata; the validators are in scripts/packages.txt (desktop-file-utils,
# appstream).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
id=io.github.lathe.Lathe
packaging="$root/packaging"

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

for tool in desktop-file-validate appstreamcli; do
    command -v "$tool" >/dev/null || fail "$tool is missing (scripts/setup installs it)"
done
out="$(desktop-file-validate "$packaging/$id.desktop" 2>&1)" || fail "desktop-file-validate: $out"
! grep -Eiq 'error|warning' <<<"$out" || fail "desktop-file-validate: $out"
out="$(appstreamcli validate --no-net --no-color "$packaging/$id.metainfo.xml" 2>&1)" ||
    fail "appstreamcli validate: $out"
echo "$out"

grep -qx "Icon=$id" "$packaging/$id.desktop" || fail "the entry's Icon is not $id"
[[ -f "$packaging/$id.svg" ]] || fail "no icon $id.svg"
grep -q "<id>$id</id>" "$packaging/$id.metainfo.xml" || fail "the metainfo's id is not $id"
grep -q "<launchable type=\"desktop-id\">$id.desktop</launchable>" \
    "$packaging/$id.metainfo.xml" || fail "the metainfo does not launch $id.desktop"
grep -q "set(LATHE_APP_ID $id)" "$root/cmake/LatheInstall.cmake" ||
    fail "cmake/LatheInstall.cmake installs another id"
echo "desktop entry and metainfo of $id: valid"
