#!/usr/bin/env bash
# Proves a teardown left nothing behind: `snapshot FILE` before the cluster comes up, `compare
# FILE` after tools/cluster/down.sh. Compared: the host's network links and namespaces, its
# iptables rules (nat, filter, mangle; counters dropped), its mounts; and, absolutely: no
# cluster process (by executable name, or a shim of the cluster's containerd), no mount under
# the cluster's root, no cgroup of its pods, no root directory.
#
#   tools/cluster/clean-check.sh snapshot /tmp/before && ... && tools/cluster/clean-check.sh compare /tmp/before
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$here/env.sh"

state() {
    echo "## links"; ip -o link show | awk -F': ' '{ print $2 }' | sed 's/@.*//' | sort
    echo "## netns"; ip netns list | awk '{ print $1 }' | sort
    for t in nat filter mangle; do
        echo "## iptables $t"; iptables-save -t "$t" 2>/dev/null | grep -vE '^(#|:)' | sed 's/\[[0-9:]*\]//' | sort
    done
    echo "## mounts"; awk '{ print $5 }' /proc/self/mountinfo | sort
}

case "${1:-}" in
    snapshot) state >"$2" ;;
    compare)
        failed=0
        if ! diff <(cat "$2") <(state) >/tmp/clean-check.diff; then
            echo "clean-check: the host differs from before the cluster:" >&2
            cat /tmp/clean-check.diff >&2
            failed=1
        fi
        procs=""
        # Process names as the kernel keeps them (15 characters: kube-controller-manager is cut).
        for name in etcd kube-apiserver kube-controller kube-scheduler kubelet kube-proxy coredns pause; do
            procs+=$(pgrep -a -x "$name" || true)
        done
        procs+=$(pgrep -a -f -- "$CLUSTER_CONTAINERD_SOCK" || true)
        [[ -n "$procs" ]] && { echo "clean-check: cluster processes left:" >&2; echo "$procs" >&2; failed=1; }
        compgen -G "/sys/fs/cgroup/*/$CLUSTER_CGROUP" >/dev/null && { echo "clean-check: cgroups left under $CLUSTER_CGROUP" >&2; failed=1; }
        [[ -e "$CLUSTER_ROOT" ]] && { echo "clean-check: $CLUSTER_ROOT is left" >&2; failed=1; }
        ((failed)) && exit 1
        echo "clean-check: nothing left (links, netns, iptables, mounts, processes, cgroups, files)" ;;
    *) echo "usage: clean-check.sh snapshot FILE | compare FILE" >&2; exit 64 ;;
esac
