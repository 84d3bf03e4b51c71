#!/usr/bin/env bash
# cmake/LatheVersion.cmake (what --version and every run's environment report) on a scratch git
# repository: the commit, "-dirty" for a changed, staged or untracked file (not an ignored one),
# clean again after a commit, the header left untouched (its time too) when its text would not
# change, and no commit outside a git checkout. CTest runs it as app.version_header.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
repo="$tmp/repo"
header="$tmp/lathe_version.h"

fail() {
    echo "FAIL: $*" >&2
    [[ -f "$header" ]] && cat "$header" >&2
    exit 1
}
generate() {
    cmake -DSOURCE_DIR="${1:-$repo}" -DOUT="$header" -DVERSION=1.2.3 -DAPP_ID=org.example.Test \
        -P "$root/cmake/LatheVersion.cmake"
}
# expect COMMIT: the header names it, and the version string with it.
expect() {
    grep -qx "#define LATHE_GIT_COMMIT \"$1\"" "$header" || fail "commit is not '$1'"
    local version="1.2.3"
    [[ -n "$1" ]] && version="1.2.3 (git $1)"
    grep -qx "#define LATHE_VERSION_STRING \"$version\"" "$header" ||
        fail "version string is not '$version'"
}
git_() { git -C "$repo" -c user.name=test -c user.email=test@example.org "$@"; }

mkdir "$repo"
git_ init -q
echo one >"$repo/a.cpp"
printf '/build/\n' >"$repo/.gitignore"
git_ add a.cpp .gitignore
git_ commit -qm first
first="$(git_ rev-parse --short=12 HEAD)"

generate
expect "$first"
grep -qx '#define LATHE_VERSION "1.2.3"' "$header" || fail "LATHE_VERSION"
grep -qx '#define LATHE_APP_ID "org.example.Test"' "$header" || fail "LATHE_APP_ID"

# Nothing changed: the header is not rewritten, so nothing that includes it recompiles.
touch -d '2001-01-01 00:00:00' "$header"
stamp="$(stat -c %Y "$header")"
generate
[[ "$(stat -c %Y "$header")" == "$stamp" ]] || fail "an unchanged header was rewritten"

# An ignored file (a build folder) is not a change.
mkdir "$repo/build" && touch "$repo/build/a.o"
generate
expect "$first"

echo two >>"$repo/a.cpp"
generate
expect "$first-dirty"
git_ add a.cpp
generate
expect "$first-dirty"
git_ commit -qm second
second="$(git_ rev-parse --short=12 HEAD)"
[[ "$second" != "$first" ]] || fail "no new commit"
generate
expect "$second"

# An untracked source (sources are globbed: it is built).
touch "$repo/b.cpp"
generate
expect "$second-dirty"
rm "$repo/b.cpp"
generate
expect "$second"

# Not a git checkout: no commit, the version alone.
mkdir "$tmp/plain"
generate "$tmp/plain"
expect ""
echo "PASS"
