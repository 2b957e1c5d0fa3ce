#!/usr/bin/env bash
# Builds the Prometheus server from its Go module at the version pinned in
# tools/prometheus/versions.env, unless the cache already holds it, and prints the binary's path.
# tools/images/build.sh packages it as the chart's Prometheus image for the single-node CI
# cluster. Debian's package is not used there: it lacks Kubernetes discovery, which the chart's
# scrape config needs. The web UI is not embedded (upstream builds it with npm and the
# `builtinassets` tag); the API, which the drills and the operator query, is complete.
#
#   tools/prometheus/ensure.sh
#
# Cache: ${FIREDRILL_TOOLS_CACHE:-$HOME/.cache/firedrill/tools}/prometheus-<version>/prometheus.
# Idempotent; safe to run from CI on every run.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
# shellcheck source=../lib.sh
source "$here/../lib.sh"

version_pkg=github.com/prometheus/common/version
go_build_cached prometheus "$PROMETHEUS_VERSION" "$here" \
    github.com/prometheus/prometheus/cmd/prometheus \
    "-w -X $version_pkg.Version=$PROMETHEUS_RELEASE -X $version_pkg.Branch=HEAD"
