#!/usr/bin/env bash
# Runs a command in the cluster's node network namespace with its kubeconfig, and its kubectl
# (v1.34.4, built with the cluster) and the pinned helm first on PATH: the way every e2e step
# and a person investigating reach the cluster.
#
#   tools/cluster/exec.sh kubectl get pods -A
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$here/env.sh"
[[ -e "/run/netns/$CLUSTER_NETNS" ]] || { echo "exec.sh: no cluster is up (tools/cluster/up.sh)" >&2; exit 1; }
kubectl_dir="$(dirname "$("$here/../kube/ensure.sh" node | grep '/kubectl$')")"
helm_dir="$(dirname "$("$here/../helm/ensure.sh")")"
export KUBECONFIG="$CLUSTER_KUBECONFIG" PATH="$kubectl_dir:$helm_dir:$PATH"
exec nsenter --net="/run/netns/$CLUSTER_NETNS" -- "$@"
