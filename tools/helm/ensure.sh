#!/usr/bin/env bash
# Builds the `helm` CLI from its Go module at the version pinned in tools/helm/versions.env,
# unless the cache already holds it, and prints the binary's path. The chart checks
# (tools/chart-check.sh: helm lint, helm template) use it when no `helm` is given to them, so
# they run on machines without helm installed and always with the same helm.
#
#   tools/helm/ensure.sh
#
# Cache: ${FIREDRILL_TOOLS_CACHE:-$HOME/.cache/firedrill/tools}/helm-<version>/helm.
# Idempotent; safe to run from CI on every run. The ldflags are the ones helm's own Makefile
# sets (version, and the default Kubernetes version `helm template` assumes = client-go's + 1).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
# shellcheck source=../lib.sh
source "$here/../lib.sh"

# client-go v0.X.Y -> Kubernetes 1.X, as helm's Makefile derives it.
client_go="$(awk '$1 == "k8s.io/client-go" { print $2 }' "$here/go.mod")"
k8s_minor="$(echo "$client_go" | cut -d. -f2)"
ldflags="-w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$k8s_minor"
done
go_build_cached helm "$HELM_VERSION" "$here" helm.sh/helm/v3/cmd/helm "$ldflags"
