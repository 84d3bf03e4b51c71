#!/usr/bin/env bash
# Installs the build into a temporary prefix (`cmake --install`) and uses it from another folder,
# as a user of the installed programs would: the layout, --version of both programs, the bundled
# plugins found from the prefix, a few training steps on the packaged default config, a plugin
# built against the installed SDK with find_package(LatheSDK) and trained with, the window
# started on it, and the man page and bash completion against `lathe-cli --help`.
# CTest runs it as app.install (BUILD_DIR: the build tree).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BUILD_DIR:-$root/build}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" || {
    cat "$tmp/install.log" >&2
    fail "cmake --install $build"
}

for file in bin/lathe bin/lathe-cli include/lathe/plugin.h include/lathe/dataset.h \
    share/cmake/LatheSDK/LatheSDKConfig.cmake share/cmake/LatheSDK/LatheSDKConfigVersion.cmake \
    share/lathe/configs/fashion-cnn.json share/lathe/sweeps/fashion-cnn-lr.json \
    share/lathe/onnx/run_onnx.js share/applications/io.github.lathe.Lathe.desktop \
    share/icons/hicolor/scalable/apps/io.github.lathe.Lathe.svg \
    share/metainfo/io.github.lathe.Lathe.metainfo.xml share/man/man1/lathe-cli.1.gz \
    share/man/man1/lathe.1.gz share/bash-completion/completions/lathe-cli; do
    [[ -f "$prefix/$file" ]] || fail "not installed: $file"
done
mapfile -t built < <(cd "$build/lib/lathe/plugins" && ls ./*.so)
mapfile -t installed < <(cd "$prefix/lib/lathe/plugins" && ls ./*.so)
((${#built[@]} > 0)) || fail "the build has no sample plugins"
[[ "${built[*]}" == "${installed[*]}" ]] ||
    fail "plugins installed: ${installed[*]}; built: ${built[*]}"

# From elsewhere, with nothing pointing at the build or source tree.
mkdir "$tmp/cwd"
cd "$tmp/cwd"
unset LATHE_PLUGIN_PATH LATHE_RESOURCES LATHE_DB LATHE_ONNXRUNTIME_DIR
export XDG_DATA_HOME="$tmp/data"
cli="$prefix/bin/lathe-cli"

"$cli" --version | grep -E '^lathe-cli [0-9]+\.[0-9]+\.[0-9]+( \(git [0-9a-f]{12}(-dirty)?\))?$' >/dev/null ||
    fail "lathe-cli --version: $("$cli" --version)"
# No display: the window's --version answers before Qt looks for one.
env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM "$prefix/bin/lathe" --version |
    grep -E '^lathe [0-9]+\.[0-9]+\.[0-9]+' >/dev/null || fail "lathe --version"
"$cli" info | grep -E "^resources +$prefix/share/lathe\$" >/dev/null ||
    fail "resources not found in the prefix: $("$cli" info | grep resources)"

# The bundled plugins, from the prefix and nowhere else.
"$cli" plugins --json >"$tmp/plugins.json"
python3 - "$tmp/plugins.json" "$prefix/lib/lathe/plugins" "${#built[@]}" <<'EOF'
import json, sys
plugins = json.load(open(sys.argv[1]))["plugins"]
where, count = sys.argv[2], int(sys.argv[3])
loaded = [p for p in plugins if p["status"] == "loaded"]
others = [(p["path"], p["status"], p.get("message", "")) for p in plugins if p["status"] != "loaded"]
assert not others, f"not loaded: {others}"
assert len(loaded) == count, f"{len(loaded)} plugins loaded, {count} installed"
assert all(p["path"].startswith(where + "/") for p in loaded), [p["path"] for p in loaded]
EOF

# A third party's plugin against the installed SDK: configure and build it with the prefix in
# CMAKE_PREFIX_PATH, and nothing of the source tree on its include path.
if ! cmake -S "$root/tests/install/sdk_plugin" -B "$tmp/sdk-build" -G Ninja \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >"$tmp/sdk.log" 2>&1 ||
    ! cmake --build "$tmp/sdk-build" >>"$tmp/sdk.log" 2>&1; then
    cat "$tmp/sdk.log" >&2
    fail "building a plugin against the installed SDK"
fi
! grep -q -- "-I$root" "$tmp/sdk-build/build.ninja" || fail "the plugin build saw the source tree"
mkdir -m 700 "$tmp/user-plugins"
cp "$tmp/sdk-build/halving.so" "$tmp/user-plugins/"
"$cli" plugins --json --plugin-dir "$tmp/user-plugins" >"$tmp/plugins.json"
python3 - "$tmp/plugins.json" <<'EOF'
import json, sys
plugins = json.load(open(sys.argv[1]))["plugins"]
halving = [p for p in plugins if p["name"] == "halving"]
assert halving and halving[0]["status"] == "loaded", halving
assert any("halving" in entry for entry in halving[0]["registered"]), halving
EOF

# A few steps of the packaged default config, with the plugin's schedule.
"$cli" train "$prefix/share/lathe/configs/fashion-cnn.json" --db "$tmp/runs.db" \
    --plugin-dir "$tmp/user-plugins" --max-steps 4 --set data.train_limit=1000 \
    --set model.widths=[8,16] --set training.batch_size=64 --set histograms.every=0 \
    --set schedule.type=halving --name installed >"$tmp/train.log" 2>&1 || {
    cat "$tmp/train.log" >&2
    fail "lathe-cli train on the packaged config"
}
"$cli" show installed --db "$tmp/runs.db" --json >"$tmp/show.json"
python3 - "$tmp/show.json" <<'EOF'
import json, sys
run = json.load(open(sys.argv[1]))
assert run["config"]["schedule"]["type"] == "halving", run["config"]["schedule"]
assert run["status"] in ("stopped", "finished"), run["status"]
EOF

# The window, installed, on the offscreen platform: the packaged default config and plugins.
QT_QPA_PLATFORM=offscreen timeout 120 "$prefix/bin/lathe" --db "$tmp/runs.db" \
    --quit-when-ready >"$tmp/gui.log" 2>&1 || {
    cat "$tmp/gui.log" >&2
    fail "lathe --quit-when-ready"
}

# The man page and the completion name every command and option of --help; the man pages are
# for this version.
"$cli" --help >"$tmp/help.txt"
gzip -dc "$prefix/share/man/man1/lathe-cli.1.gz" | sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' \
    >"$tmp/man.txt"
completion="$prefix/share/bash-completion/completions/lathe-cli"
mapfile -t commands < <(sed -n 's/^  \([a-z][a-z]*\) .*/\1/p' "$tmp/help.txt" | sort -u)
mapfile -t options < <(grep -oE -- '--[a-z][a-z-]*' "$tmp/help.txt" | sort -u)
((${#commands[@]} >= 10)) || fail "found only ${#commands[@]} commands in --help"
version="$("$cli" --version | cut -d' ' -f2)"
for page in lathe lathe-cli; do
    gzip -dc "$prefix/share/man/man1/$page.1.gz" | grep "^\.TH .* \"Lathe $version\"" >/dev/null ||
        fail "the $page man page is not for Lathe $version"
done
for word in "${commands[@]}" "${options[@]}"; do
    grep -qw -- "$word" "$tmp/man.txt" || fail "the man page does not name $word"
    grep -qw -- "$word" "$completion" || fail "the bash completion does not name $word"
done
bash -c 'source /usr/share/bash-completion/bash_completion && source "$1" &&
    COMP_WORDS=(lathe-cli export 3 --format o) && COMP_CWORD=4 &&
    COMP_LINE="${COMP_WORDS[*]}" && COMP_POINT=${#COMP_LINE} && _lathe_cli &&
    [[ "${COMPREPLY[*]}" == onnx ]]' _ "$completion" || fail "completing export --format"

echo "installed into $prefix and used from $tmp/cwd: ok"
