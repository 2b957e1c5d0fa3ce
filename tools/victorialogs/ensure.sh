#!/usr/bin/env bash
# Builds VictoriaLogs (the single `victoria-logs` binary: OTLP logs in, filesystem storage,
# LogsQL query API) from its Go module at the version pinned in tools/victorialogs/versions.env,
# unless the cache already holds it, and prints the binary's path. `firedrill lab up` and
# `firedrill verify` start it on loopback when they find it, so log symptoms are checked on the
# same backend players use. (It stands in for Loki, which is AGPL-licensed.)
#
#   tools/victorialogs/ensure.sh
#
# Cache: ${FIREDRILL_TOOLS_CACHE:-$HOME/.cache/firedrill/tools}/victoria-logs-<version>/.
# Idempotent; safe to run from CI on every run.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
# shellcheck source=../lib.sh
source "$here/../lib.sh"

version_pkg=github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo
go_build_cached victoria-logs "$VICTORIALOGS_VERSION" "$here" \
    github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs \
    "-X $version_pkg.Version=victoria-logs-$VICTORIALOGS_VERSION"
