#!/usr/bin/env bash
# Builds the `helm` CLI from its Go module at the version pinned in tools/helm/versions.env,
# unless the cache already holds it, and prints the binary's path. The chart checks
# (tools/chart-check.sh: helm lint, helm template) use it when no `helm` is given to them, so
# they run on machines without helm installed and always with the same helm.
#
#   tools/helm/ensure.sh
#
# Cache: ${FIREDRILL_TOOLS_CACHE:-$HOME/.cache/firedrill/tools}/helm-<version>/helm.
# Idempotent; safe to run from CI on every run. The build happens in a temporary copy of the
# wrapper module so the work tree stays clean. The ldflags are the ones helm's own Makefile
# sets (version, and the default Kubernetes version `helm template` assumes = client-go's + 1).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
cache="${FIREDRILL_TOOLS_CACHE:-$HOME/.cache/firedrill/tools}"
dir="$cache/helm-$HELM_VERSION"
bin="$dir/helm"

if [[ -x "$bin" ]]; then
    echo "$bin"
    exit 0
fi
command -v go >/dev/null || { echo "ensure.sh: go is needed to build helm" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/go.mod" "$here/go.sum" "$work/"

# client-go v0.X.Y -> Kubernetes 1.X, as helm's Makefile derives it.
client_go="$(awk '$1 == "k8s.io/client-go" { print $2 }' "$here/go.mod")"
k8s_minor="$(echo "$client_go" | cut -d. -f2)"
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$k8s_minor"
done

echo "ensure.sh: building helm $HELM_VERSION (first run only; takes minutes)" >&2
start=$SECONDS
mkdir -p "$dir"
(cd "$work" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags="$ldflags" \
    -o "$dir/helm.tmp" helm.sh/helm/v3/cmd/helm)
mv "$dir/helm.tmp" "$bin"
echo "ensure.sh: built helm in $((SECONDS - start))s" >&2
echo "$bin"
