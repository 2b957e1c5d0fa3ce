# Shared by the tools/*/ensure.sh scripts: build a third-party server or CLI from its Go module
# through a wrapper module the project owns, cached by version, and print the binary's path.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
#   go_build_cached NAME VERSION MODULE_DIR PACKAGE [LDFLAGS]
#   go_build_cached_many VERSION MODULE_DIR LDFLAGS PACKAGE...
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

go_build_cached() {
    local name="$1" version="$2" module="$3" package="$4" ldflags="${5:-}"
    local cache="${FIREDRILL_TOOLS_CACHE:-$HOME/.cache/firedrill/tools}"
    local dir="$cache/$name-$version"
    local bin="$dir/$name"
    if [[ -x "$bin" ]]; then
        echo "$bin"
        return
    fi
    command -v go >/dev/null || { echo "ensure.sh: go is needed to build $name" >&2; exit 1; }
    local work
    work="$(mktemp -d)"
    cp "$module/go.mod" "$work/"
    [[ -f "$module/go.sum" ]] && cp "$module/go.sum" "$work/"
    echo "ensure.sh: building $name $version (first run only; takes minutes)" >&2
    local start=$SECONDS
    mkdir -p "$dir"
    # Go's build and module caches live in the temporary directory and go with it: they
    # take gigabytes (4.4 GB and 2.8 GB after the four tools) and only the binary is kept.
    if ! (cd "$work" && CGO_ENABLED=0 GOFLAGS="-mod=mod -modcacherw" \
        GOCACHE="$work/gocache" GOMODCACHE="$work/gomod" go build -trimpath \
        -ldflags="-s $ldflags" -o "$dir/$name.tmp" "$package"); then
        rm -rf "$work"
        echo "ensure.sh: building $name $version failed (see the go output above)" >&2
        exit 1
    fi
    mv "$dir/$name.tmp" "$bin"
    rm -rf "$work"
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
        command -v go >/dev/null || { echo "ensure.sh: go is needed to build ${missing[*]##*/}" >&2; exit 1; }
        local work
        work="$(mktemp -d)"
        cp "$module/go.mod" "$work/"
        [[ -f "$module/go.sum" ]] && cp "$module/go.sum" "$work/"
        echo "ensure.sh: building ${missing[*]##*/} $version in one go build (first run only; tens of minutes)" >&2
        local start=$SECONDS
        mkdir -p "$work/out"
        if ! (cd "$work" && CGO_ENABLED=0 GOFLAGS="-mod=mod -modcacherw" \
            GOCACHE="$work/gocache" GOMODCACHE="$work/gomod" go build -trimpath \
            -ldflags="-s $ldflags" -o "$work/out/" "${missing[@]}"); then
            rm -rf "$work"
            echo "ensure.sh: building ${missing[*]##*/} $version failed (see the go output above)" >&2
            exit 1
        fi
        for pkg in "${missing[@]}"; do
            name="${pkg##*/}"
            mkdir -p "$cache/$name-$version"
            mv "$work/out/$name" "$cache/$name-$version/$name.tmp"
            mv "$cache/$name-$version/$name.tmp" "$cache/$name-$version/$name"
        done
        rm -rf "$work"
        echo "ensure.sh: built ${missing[*]##*/} in $((SECONDS - start))s" >&2
    fi
    for pkg in "$@"; do
        name="${pkg##*/}"
        echo "$cache/$name-$version/$name"
    done
}
