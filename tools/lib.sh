# Shell helpers shared by the scripts under tools/ (source it; it only defines functions).
#
#   source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
#   poll_until SECONDS CMD...      (the e2e and verify-kind scripts: wait for a condition)
#   go_build_cached NAME VERSION MODULE_DIR PACKAGE [LDFLAGS]
#   go_build_cached_many VERSION MODULE_DIR LDFLAGS PACKAGE...
#
# The go_build ones (the tools/*/ensure.sh scripts) build a third-party server or CLI from its
# Go module through a wrapper module the project owns, cached by version, and print the
# binary's path.
#
# The second builds several commands of one module (named after the package's last element) in
# ONE `go build`, so a shared tree such as k8s.io/kubernetes compiles once, not once a binary;
# it builds only the ones the cache lacks and prints every path.
#
# Cache: ${FIREDRILL_TOOLS_CACHE:-$HOME/.cache/firedrill/tools}/<name>-<version>/<name>.
# The build happens in a temporary copy of MODULE_DIR's go.mod/go.sum, with Go's caches in
# the same temporary directory, so the work tree stays clean and no gigabytes of cache are
# left behind, and the binary is moved into place only once it is whole, so an interrupted build
# never leaves a half-written binary that a later run would trust.

# poll_until SECONDS CMD...: runs CMD every POLL_INTERVAL (2) seconds until it succeeds, and
# returns 1 once SECONDS have passed without success. CMD's output stays quiet while it is
# polled; when the time is up, the last attempt's output goes to stderr, so a timeout says
# what was still missing. CMD runs in a subshell: it cannot set the caller's variables.
poll_until() {
    local limit=$1 out
    shift
    local deadline=$((SECONDS + limit))
    until out="$("$@" 2>&1)"; do
        if ((SECONDS >= deadline)); then
            [[ -z "$out" ]] || printf '%s\n' "$out" >&2
            return 1
        fi
        sleep "${POLL_INTERVAL:-2}"
    done
}

# go_build MODULE_DIR LDFLAGS OUT PACKAGE...: one `go build -o OUT` of the packages, in a
# temporary copy of MODULE_DIR's go.mod/go.sum whose Go caches go with it (they take
# gigabytes: 4.4 GB and 2.8 GB after the four tools, and only the binaries are kept). OUT is a
# file for one package, a directory (ending in /) for several. Exits on failure.
go_build() {
    local module="$1" ldflags="$2" out="$3"
    shift 3
    command -v go >/dev/null || { echo "ensure.sh: go is needed to build ${*##*/}" >&2; exit 1; }
    local work
    work="$(mktemp -d)"
    cp "$module/go.mod" "$work/"
    [[ -f "$module/go.sum" ]] && cp "$module/go.sum" "$work/"
    if ! (cd "$work" && CGO_ENABLED=0 GOFLAGS="-mod=mod -modcacherw" \
        GOCACHE="$work/gocache" GOMODCACHE="$work/gomod" go build -trimpath \
        -ldflags="-s $ldflags" -o "$out" "$@"); then
        rm -rf "$work"
        echo "ensure.sh: building ${*##*/} failed (see the go output above)" >&2
        exit 1
    fi
    rm -rf "$work"
}

go_build_cached() {
    local name="$1" version="$2" module="$3" package="$4" ldflags="${5:-}"
    local cache="${FIREDRILL_TOOLS_CACHE:-$HOME/.cache/firedrill/tools}"
    local dir="$cache/$name-$version"
    local bin="$dir/$name"
    if [[ -x "$bin" ]]; then
        echo "$bin"
        return
    fi
    echo "ensure.sh: building $name $version (first run only; takes minutes)" >&2
    local start=$SECONDS
    mkdir -p "$dir"
    go_build "$module" "$ldflags" "$dir/$name.tmp" "$package"
    mv "$dir/$name.tmp" "$bin"
    echo "ensure.sh: built $name in $((SECONDS - start))s" >&2
    echo "$bin"
}

go_build_cached_many() {
    local version="$1" module="$2" ldflags="$3"
    shift 3
    local cache="${FIREDRILL_TOOLS_CACHE:-$HOME/.cache/firedrill/tools}"
    local missing=() pkg name
    for pkg in "$@"; do
        name="${pkg##*/}"
        [[ -x "$cache/$name-$version/$name" ]] || missing+=("$pkg")
    done
    if [[ ${#missing[@]} -gt 0 ]]; then
        echo "ensure.sh: building ${missing[*]##*/} $version in one go build (first run only; tens of minutes)" >&2
        local start=$SECONDS out
        out="$(mktemp -d)"
        go_build "$module" "$ldflags" "$out/" "${missing[@]}"
        for pkg in "${missing[@]}"; do
            name="${pkg##*/}"
            mkdir -p "$cache/$name-$version"
            mv "$out/$name" "$cache/$name-$version/$name.tmp"
            mv "$cache/$name-$version/$name.tmp" "$cache/$name-$version/$name"
        done
        rm -rf "$out"
        echo "ensure.sh: built ${missing[*]##*/} in $((SECONDS - start))s" >&2
    fi
    for pkg in "$@"; do
        name="${pkg##*/}"
        echo "$cache/$name-$version/$name"
    done
}
