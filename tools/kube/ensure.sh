#!/usr/bin/env bash
# Builds the control-plane binaries the operator's integration tests run against (a real
# kube-apiserver and etcd, envtest-style), unless the cache already holds them, and prints the
# path of each binary, one a line.
#
#   tools/kube/ensure.sh [kube-apiserver|etcd]...   (default: both)
#   tools/kube/ensure.sh node   the rest of a single-node cluster, for `make e2e`: kubelet,
#                               kube-controller-manager, kube-scheduler, kube-proxy and kubectl,
#                               in one go build of the same pinned module (tools/cluster)
#
# Cache: ${FIREDRILL_TOOLS_CACHE:-$HOME/.cache/firedrill/tools}/<name>-<version>/<name>,
# versions from tools/kube/versions.env. Idempotent; safe to run from CI on every run.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
# shellcheck source=../lib.sh
source "$here/../lib.sh"

kube_ldflags() {
    local v="${KUBE_VERSION#v}" pkg=k8s.io/component-base/version
    echo "-X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=${v%%.*}" \
        "-X $pkg.gitMinor=$(echo "$v" | cut -d. -f2) -X $pkg.gitTreeState=clean"
}

targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(etcd kube-apiserver)
for t in "${targets[@]}"; do
    case "$t" in
        etcd) go_build_cached etcd "$ETCD_VERSION" "$here/etcd" go.etcd.io/etcd/server/v3 ;;
        kube-apiserver)
            go_build_cached kube-apiserver "$KUBE_VERSION" "$here/apiserver" \
                k8s.io/kubernetes/cmd/kube-apiserver "$(kube_ldflags)" ;;
        node)
            go_build_cached_many "$KUBE_VERSION" "$here/apiserver" "$(kube_ldflags)" \
                k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-controller-manager \
                k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kube-proxy \
                k8s.io/kubernetes/cmd/kubectl ;;
        *) echo "ensure.sh: unknown binary '$t' (expected etcd, kube-apiserver or node)" >&2; exit 64 ;;
    esac
done
