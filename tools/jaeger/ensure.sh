#!/usr/bin/env bash
# Builds Jaeger v2 (the single `jaeger` binary) from its Go module at the version pinned in
# tools/jaeger/versions.env, unless the cache already holds it, and prints the binary's path.
# `firedrill lab up` and `firedrill verify` start it on loopback when they find it, so trace
# symptoms are checked on the same backend players use.
#
#   tools/jaeger/ensure.sh
#
# Cache: ${FIREDRILL_TOOLS_CACHE:-$HOME/.cache/firedrill/tools}/jaeger-<version>/jaeger.
# Idempotent; safe to run from CI on every run.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
# shellcheck source=../lib.sh
source "$here/../lib.sh"

version_pkg=github.com/jaegertracing/jaeger/internal/version
go_build_cached jaeger "$JAEGER_VERSION" "$here" github.com/jaegertracing/jaeger/cmd/jaeger \
    "-X $version_pkg.latestVersion=$JAEGER_VERSION"
