#!/usr/bin/env bash
# Builds Jaeger v2 (the single `jaeger` binary) from its Go module at the version pinned in
# tools/jaeger/versions.env, unless the cache already holds it, and prints the binary's path.
# `firedrill lab up` and `firedrill verify` start it on loopback when they find it, so trace
# symptoms are checked on the same backend players use.
#
#   tools/jaeger/ensure.sh
#
# Cache: ${FIREDRILL_TOOLS_CACHE:-$HOME/.cache/firedrill/tools}/jaeger-<version>/jaeger.
# Idempotent; safe to run from CI on every run. The build happens in a temporary copy of the
# wrapper module so the work tree stays clean.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
cache="${FIREDRILL_TOOLS_CACHE:-$HOME/.cache/firedrill/tools}"
dir="$cache/jaeger-$JAEGER_VERSION"
bin="$dir/jaeger"

if [[ -x "$bin" ]]; then
    echo "$bin"
    exit 0
fi
command -v go >/dev/null || { echo "ensure.sh: go is needed to build jaeger" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/go.mod" "$here/go.sum" "$work/"
echo "ensure.sh: building jaeger $JAEGER_VERSION (first run only; takes minutes)" >&2
start=$SECONDS
mkdir -p "$dir"
version_pkg=github.com/jaegertracing/jaeger/internal/version
(cd "$work" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath \
    -ldflags="-s -X $version_pkg.latestVersion=$JAEGER_VERSION" \
    -o "$dir/jaeger.tmp" github.com/jaegertracing/jaeger/cmd/jaeger)
mv "$dir/jaeger.tmp" "$bin"
echo "ensure.sh: built jaeger in $((SECONDS - start))s" >&2
echo "$bin"
