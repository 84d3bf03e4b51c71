#!/usr/bin/env bash
# Fuzzes Lathe's parsers (tests/fuzz: one libFuzzer harness per parser). Builds the harnesses in
# build-fuzz/ (GCC, Ninja, ccache, -O1 with line tables; every Lathe source built with
# AddressSanitizer, UBSan and coverage hooks, see tests/fuzz/CMakeLists.txt), then runs each for
# SECONDS on its working corpus, build-fuzz/fuzz/corpus/<harness>, which starts as the committed
# seeds (tests/fuzz/corpus) and keeps what each run adds; the committed regressions are read as
# seeds too. Two harnesses run at a time, one fuzzing process each (the machine's two cores); a
# crash does not end a run: every crashing input is saved in build-fuzz/fuzz/<date>/<harness>/
# (crash-*, leak-*, oom-*, timeout-*) beside the run's log. At the end, a table: seconds run,
# executions, executions per second, coverage as libFuzzer's last status line gives it (cov:
# edge counters hit, ft: features), and the crashes saved.
# Needs libFuzzer's runtime (Debian: libclang-rt-14-dev; installed here when missing); the
# normal build does not.
# Usage: bench/fuzz.sh [SECONDS] [HARNESS...]   (default: 600 seconds, every harness)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-600}"
shift $(($# > 0 ? 1 : 0))
build="$root/build-fuzz"
# The longest input each harness makes, in bytes: a little over its largest seed.
declare -A max_len=([idx]=4096 [image_folder]=4096 [csv]=2048 [run_config]=4096
                    [safetensors]=2048 [checkpoint]=32768 [plugin_info]=512
                    [sweep_spec]=4096)
# What a harness needs besides: the plugin loader keeps a record of every plugin it tried
# (loadedPlugins()), so each input allocates more than it frees, and libFuzzer would scan the
# whole heap for a leak after every one (13 executions a second); LeakSanitizer still checks at
# the end.
declare -A extra=([plugin_info]=-detect_leaks=0)
harnesses=("$@")
if ((${#harnesses[@]} == 0)); then
    harnesses=(idx image_folder csv run_config safetensors checkpoint plugin_info sweep_spec)
fi
for name in "${harnesses[@]}"; do
    [[ -n "${max_len[$name]:-}" ]] || { echo "unknown harness: $name" >&2; exit 2; }
done

# libFuzzer's engine is LLVM's runtime; the code is GCC's, as in the normal build (see
# CMakeLists.txt: clang cannot compile Lathe with LibTorch 1.13).
runtime="/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a"
if ! compgen -G "$runtime" > /dev/null; then
    echo "installing libFuzzer's runtime (libclang-rt-14-dev)" >&2
    sudo=$( ((EUID == 0)) || echo sudo)
    $sudo apt-get install -y libclang-rt-14-dev
fi

printf 'cpu: %s, %s cores\n' "$(lscpu | sed -n 's/^Model name: *//p')" "$(nproc)"
start=$(date +%s)
mkdir -p "$build"
# No CUDA kernels: nothing here runs them.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" \
    -DLATHE_FUZZ=ON -DCMAKE_CUDA_COMPILER=NOTFOUND > "$build/configure.log" 2>&1 ||
    { cat "$build/configure.log" >&2; exit 1; }
targets=()
for name in "${harnesses[@]}"; do
    targets+=("fuzz_$name")
done
ninja -C "$build" "${targets[@]}"
printf 'build: %d s\n' "$(($(date +%s) - start))"

out="$build/fuzz/$(date +%Y%m%d-%H%M%S)"
fuzz() { # NAME: one harness's run, its output in $out/NAME/log
    local name="$1" corpus="$build/fuzz/corpus/$1" dir="$out/$1" started
    mkdir -p "$corpus" "$dir"
    cp -n "$root/tests/fuzz/corpus/$name"/* "$corpus/"
    local seeds=("$corpus")
    [[ -d "$root/tests/fuzz/regressions/$name" ]] && seeds+=("$root/tests/fuzz/regressions/$name")
    started=$(date +%s)
    # -fork=1 with -ignore_*: one fuzzing process at a time, restarted after a crash, so that a
    # run goes on past the first crash and saves every one. One OpenMP thread: LibTorch's ops are
    # small here, and two harnesses share two cores. UBSan aborts, so that libFuzzer saves the
    # input (GCC's UBSan runtime does not tell it). LibTorch's own leaks: lsan.supp. TMPDIR: the
    # scratch folders of crashed processes stay in the run's folder, removed at its end.
    mkdir -p "$dir/tmp"
    TMPDIR="$dir/tmp" OMP_NUM_THREADS=1 UBSAN_OPTIONS=abort_on_error=1:print_stacktrace=1 \
        LSAN_OPTIONS="suppressions=$root/tests/fuzz/lsan.supp" \
        "$build/tests/fuzz/fuzz_$name" -fork=1 -ignore_crashes=1 -ignore_ooms=1 \
        -ignore_timeouts=1 -max_total_time="$seconds" -max_len="${max_len[$name]}" -timeout=30 \
        -artifact_prefix="$dir/" ${extra[$name]:-} "${seeds[@]}" > "$dir/log" 2>&1 || true
    echo "$(($(date +%s) - started))" > "$dir/seconds"
    rm -rf "$dir/tmp"
}
running=0
for name in "${harnesses[@]}"; do
    if ((running == 2)); then
        wait -n
        running=$((running - 1))
    fi
    fuzz "$name" &
    running=$((running + 1))
done
wait

printf '\n%-14s %8s %12s %8s %7s %7s %8s\n' harness seconds executions exec/s cov ft crashes
for name in "${harnesses[@]}"; do
    dir="$out/$name"
    seconds_run="$(cat "$dir/seconds")"
    # The last status line: "#<executions>: cov: <n> ft: <n> corp: ...".
    last="$(grep -E '^#[0-9]+: cov: ' "$dir/log" | tail -1 || true)"
    executions="$(sed -n 's/^#\([0-9]*\):.*/\1/p' <<< "$last")"
    cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$last")"
    ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$last")"
    crashes="$(find "$dir" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'oom-*' \
        -o -name 'timeout-*' \) | wc -l)"
    printf '%-14s %8s %12s %8s %7s %7s %8s\n' "$name" "$seconds_run" "${executions:--}" \
        "$((${executions:-0} / (seconds_run > 0 ? seconds_run : 1)))" "${cov:--}" "${ft:--}" \
        "$crashes"
done
echo "logs and crashes: $out"
