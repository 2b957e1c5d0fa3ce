#!/usr/bin/env bash
# Builds CoreDNS (the single `coredns` binary) from its Go module at the version pinned in
# tools/coredns/versions.env, unless the cache already holds it, and prints the binary's path.
# tools/images/build.sh packages it as the cluster DNS image of the single-node CI cluster, so
# that cluster runs without pulling from a registry.
#
#   tools/coredns/ensure.sh
#
# Cache: ${FIREDRILL_TOOLS_CACHE:-$HOME/.cache/firedrill/tools}/coredns-<version>/coredns.
# Idempotent; safe to run from CI on every run.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
# shellcheck source=../lib.sh
source "$here/../lib.sh"

# As upstream's Makefile: the version is a constant of coremain, the commit is stamped.
go_build_cached coredns "$COREDNS_VERSION" "$here" github.com/coredns/coredns \
    "-w -X github.com/coredns/coredns/coremain.GitCommit=${COREDNS_COMMIT:0:7}"
