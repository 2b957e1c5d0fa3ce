#!/usr/bin/env bash
# Tears down the cluster of tools/cluster/up.sh, whatever state it is in (also after a failed
# bring-up): every pod's processes (by kubelet's cgroup), containerd's shims, the components,
# every mount under the cluster's root (kubelet's volumes, the pods' network namespaces,
# containerd's snapshots), both network namespaces (and with them every veth and every
# iptables rule kube-proxy and kubelet wrote), the cgroups, and the root directory itself.
# tools/cluster/clean-check.sh proves nothing is left.
#
#   tools/cluster/down.sh        (root; FIREDRILL_CLUSTER_LOGS=DIR keeps a copy of the logs)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$here/env.sh"
say() { echo "cluster down: $*" >&2; }

# kill_and_wait SIGNAL SECONDS PID...: signals the processes, waits for them to go.
kill_and_wait() {
    local sig="$1" limit="$2"; shift 2
    [[ $# -gt 0 ]] || return 0
    kill "-$sig" "$@" 2>/dev/null
    local deadline=$((SECONDS + limit)) p alive
    while ((SECONDS < deadline)); do
        alive=0
        for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
        ((alive)) || return 0
        sleep 0.2
    done
    return 1
}
pidfile() { [[ -f "$CLUSTER_ROOT/pids/$1.pid" ]] && cat "$CLUSTER_ROOT/pids/$1.pid"; }
# The pids of every process in the pods' cgroups.
pod_pids() { cat /sys/fs/cgroup/*/"$CLUSTER_CGROUP"/cgroup.procs /sys/fs/cgroup/*/"$CLUSTER_CGROUP"/**/cgroup.procs 2>/dev/null | sort -u; }
# containerd's shims for this cluster (they name its socket on their command line).
shim_pids() { pgrep -f -- "containerd-shim-runc-v2 .*-address $CLUSTER_CONTAINERD_SOCK" || true; }

shopt -s globstar nullglob
# 1. kubelet first, so nothing restarts the pods.
kill_and_wait TERM 10 $(pidfile kubelet) || kill_and_wait KILL 5 $(pidfile kubelet)
# The pods' network namespaces are mounts under /run/netns (containerd 1.6 cannot put them
# elsewhere): this cluster's are the cni-* ones that were not there before up.sh.
pod_netns=()
if [[ -f "$CLUSTER_ROOT/run/netns-before" ]]; then
    for ns in $(ip netns list | awk '$1 ~ /^cni-/ { print $1 }'); do
        grep -qx "$ns" "$CLUSTER_ROOT/run/netns-before" || pod_netns+=("$ns")
    done
fi
# 2. Every pod process, then the shims (which would otherwise outlive containerd).
pids=$(pod_pids)
[[ -n "$pids" ]] && { say "stopping $(wc -w <<<"$pids") pod processes"; kill_and_wait KILL 10 $pids; }
kill_and_wait TERM 5 $(shim_pids) || kill_and_wait KILL 5 $(shim_pids)
# 3. The components, newest first, then whatever else still runs in the node's namespace.
for c in kube-proxy kube-scheduler kube-controller-manager containerd kube-apiserver etcd; do
    kill_and_wait TERM 10 $(pidfile $c) || kill_and_wait KILL 5 $(pidfile $c)
done
if [[ -e "/run/netns/$CLUSTER_NETNS" ]]; then
    left=$(ip netns pids "$CLUSTER_NETNS" 2>/dev/null)
    [[ -n "$left" ]] && { say "killing $(wc -w <<<"$left") leftover processes in $CLUSTER_NETNS"; kill_and_wait KILL 5 $left; }
fi
# 4. Mounts under the root, deepest first (kubelet's volumes, pod netns, overlay snapshots).
if [[ -d "$CLUSTER_ROOT" ]]; then
    root="$(realpath "$CLUSTER_ROOT")"
    for _ in 1 2 3; do
        mapfile -t mounts < <(awk -v r="$root" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r)
        [[ ${#mounts[@]} -eq 0 ]] && break
        for m in "${mounts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
    done
fi
# 5. The network namespaces: their veths, routes and iptables rules go with them.
for ns in "$CLUSTER_NETNS" "$CLUSTER_UPLINK_NETNS" $(printf '%s\n' "${pod_netns[@]}" | sort -u); do
    [[ -e "/run/netns/$ns" ]] && ip netns del "$ns"
done
# 6. The pods' cgroups, leaves first.
for c in /sys/fs/cgroup/*/"$CLUSTER_CGROUP"; do
    find "$c" -depth -type d -exec rmdir {} + 2>/dev/null
done
# 7. The root, keeping the logs if asked.
if [[ -d "$CLUSTER_ROOT" ]]; then
    if [[ -n "${FIREDRILL_CLUSTER_LOGS:-}" ]]; then
        mkdir -p "$FIREDRILL_CLUSTER_LOGS" && cp -r "$CLUSTER_ROOT/logs/." "$FIREDRILL_CLUSTER_LOGS/"
    fi
    rm -rf "$CLUSTER_ROOT"
fi
say "done"
