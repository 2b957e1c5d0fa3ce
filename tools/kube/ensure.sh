#!/usr/bin/env bash
# Builds the control-plane binaries the operator's integration tests run against (a real
# kube-apiserver and etcd, envtest-style), unless the cache already holds them, and prints the
# path of each binary, one a line.
#
#   tools/kube/ensure.sh [kube-apiserver|etcd]...   (default: both)
#
# Cache: ${FIREDRILL_TOOLS_CACHE:-$HOME/.cache/firedrill/tools}/<name>-<version>/<name>,
# versions from tools/kube/versions.env. Idempotent; safe to run from CI on every run.
# The build happens in a temporary copy of the wrapper module so the work tree stays clean.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
cache="${FIREDRILL_TOOLS_CACHE:-$HOME/.cache/firedrill/tools}"

# build NAME VERSION MODULE_DIR PACKAGE [LDFLAGS]
build() {
    local name="$1" version="$2" module="$3" package="$4" ldflags="${5:-}"
    local dir="$cache/$name-$version" bin="$cache/$name-$version/$name"
    if [[ -x "$bin" ]]; then
        echo "$bin"
        return
    fi
    command -v go >/dev/null || { echo "ensure.sh: go is needed to build $name" >&2; exit 1; }
    local work
    work="$(mktemp -d)"
    cp "$here/$module/go.mod" "$work/"
    [[ -f "$here/$module/go.sum" ]] && cp "$here/$module/go.sum" "$work/"
    echo "ensure.sh: building $name $version (first run only; takes minutes)" >&2
    local start=$SECONDS
    mkdir -p "$dir"
    (cd "$work" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath \
        -ldflags="-s $ldflags" -o "$dir/$name.tmp" "$package")
    mv "$dir/$name.tmp" "$bin"
    rm -rf "$work"
    echo "ensure.sh: built $name in $((SECONDS - start))s" >&2
    echo "$bin"
}

kube_ldflags() {
    local v="${KUBE_VERSION#v}" pkg=k8s.io/component-base/version
    echo "-X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=${v%%.*}" \
        "-X $pkg.gitMinor=$(echo "$v" | cut -d. -f2) -X $pkg.gitTreeState=clean"
}

targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(etcd kube-apiserver)
for t in "${targets[@]}"; do
    case "$t" in
        etcd) build etcd "$ETCD_VERSION" etcd go.etcd.io/etcd/server/v3 ;;
        kube-apiserver)
            build kube-apiserver "$KUBE_VERSION" apiserver \
                k8s.io/kubernetes/cmd/kube-apiserver "$(kube_ldflags)" ;;
        *) echo "ensure.sh: unknown binary '$t' (expected etcd or kube-apiserver)" >&2; exit 64 ;;
    esac
done
