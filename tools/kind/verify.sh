#!/usr/bin/env bash
# Scenario regression against a running kind lab (`make verify-kind`): kubectl drives the
# drills, `firedrill signals` checks each scenario's signals on the cluster's own Prometheus,
# Jaeger and VictoriaLogs (kind maps them to localhost: kind-config.yaml). For every Scenario in
# the control namespace (or those named in SCENARIOS), and for one culprit of each (every
# culprit with ALL_CULPRITS=1):
#   1. the operator parsed it (condition Valid=True);
#   2. baseline: none of the culprit's signals holds yet (after up to VERIFY_SETTLE=120 s for an
#      earlier drill's effects to leave the signals' windows);
#   3. a Drill of it, seeded (a Secret) so the operator draws that culprit, reaches Ready=True:
#      every planned FaultInjection was delivered to the pods' chaos agents;
#   4. Prometheus scrapes every service while the drill runs (`up == 1` for each job), and
#      each signal holds within its `withinSeconds`;
#   5. deleting the Drill reverts it: its FaultInjections are gone, and the signals clear.
# During each drill the operator sets the scenario's load (rate, steps, mix) on loadgen; the
# baseline runs at the chart's `loadgen.rate` and `loadgen.mix`.
#
#   tools/kind/verify.sh [CONTROL_NS] [LAB_NS]
#   env: SCENARIOS="storefront-slow-flat-errors ..."  ALL_CULPRITS=1  FIREDRILL=path/to/firedrill
#        VERIFY_TIMEOUT=180 (Ready, deletion, revert)  VERIFY_SETTLE=120 (a quiet lab first)
#        PROMETHEUS=localhost:9090 JAEGER=localhost:16686 VICTORIALOGS=localhost:9428
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

control="${1:-firedrill-system}"
lab="${2:-firedrill-lab}"
timeout="${VERIFY_TIMEOUT:-180}"
settle="${VERIFY_SETTLE:-120}"
firedrill="${FIREDRILL:-target/release/firedrill}"
backends=(--prometheus "${PROMETHEUS:-localhost:9090}" --jaeger "${JAEGER:-localhost:16686}"
    --victorialogs "${VICTORIALOGS:-localhost:9428}")
[[ -x "$firedrill" ]] || { echo "verify.sh: $firedrill is missing; run \`make release\` (or set FIREDRILL)" >&2; exit 1; }
failures=0
passed=0

fail() { echo "FAIL $*" >&2; failures=$((failures + 1)); }

condition() { # condition KIND NAME NS TYPE -> prints the condition's status
    kubectl -n "$3" get "$1" "$2" -o jsonpath="{.status.conditions[?(@.type==\"$4\")].status}"
}
is_true() { [[ "$(condition "$@")" == True ]]; }

jobs_up() { # every service job has up == 1 in Prometheus
    local raw
    raw="$(kubectl get --raw "/api/v1/namespaces/$control/services/prometheus:9090/proxy/api/v1/query?query=min+by+(job)+(up)")"
    for job in api inventory pricing warehouse checkout payments; do
        grep -q "\"job\":\"$job\"},\"value\":\[[0-9.]*,\"1\"\]" <<<"$raw" || return 1
    done
}

no_injections() { # no FaultInjection left for the drill with this uid
    [[ -z "$(kubectl -n "$control" get faultinjections -l "firedrill.dev/drill-uid=$1" -o name)" ]]
}

scenarios="${SCENARIOS:-$(kubectl -n "$control" get scenarios -o jsonpath='{.items[*].metadata.name}')}"
[[ -n "$scenarios" ]] || { echo "no Scenario in $control: is the chart installed (make up)?" >&2; exit 1; }

signals() { # signals SCENARIO CULPRIT PHASE: firedrill's check of one phase on the kind backends
    "$firedrill" signals "$1" --culprit "$2" --phase "$3" "${backends[@]}"
}

# verify_culprit SCENARIO CULPRIT SEED: one drill of that culprit, from baseline to recovery.
verify_culprit() {
    local s=$1 c=$2 seed=$3 secret="verify-$1-draw" drill uid
    # A drill that ended just before (the e2e's own, a player's, the previous case's) leaves
    # its effects in the signals' windows for a while after its revert: the first case after
    # `make e2e`'s screen drill saw them. Wait for them to clear (bounded), then check once.
    local quiet=$SECONDS
    signals "$s" "$c" recovered --within "$settle" >/dev/null 2>&1 || true
    ((SECONDS - quiet < 3)) || echo "     $s/$c: waited $((SECONDS - quiet)) s for the lab to be quiet before the baseline"
    signals "$s" "$c" baseline || { fail "$s/$c: signals already show before the drill (after waiting up to ${settle} s for a quiet lab)"; return; }
    kubectl -n "$control" create secret generic "$secret" --from-literal=scenario="$s" --from-literal=seed="$seed" \
        --dry-run=client -o yaml | kubectl apply -f - >/dev/null
    drill="$(printf '%s' "{\"apiVersion\":\"firedrill.dev/v1alpha1\",\"kind\":\"Drill\",\"metadata\":{\"generateName\":\"verify-\"},\"spec\":{\"drawSecret\":\"$secret\"}}" \
        | kubectl -n "$lab" create -f - -o jsonpath='{.metadata.name}')"
    uid="$(kubectl -n "$lab" get drill "$drill" -o jsonpath='{.metadata.uid}')"
    local ok=1
    if ! poll_until "$timeout" is_true drill "$drill" "$lab" Ready; then
        fail "$s/$c: drill $drill not Ready after ${timeout}s: $(kubectl -n "$lab" get drill "$drill" -o jsonpath='{.status.conditions}')"
        ok=0
    elif ! poll_until 60 jobs_up; then
        fail "$s/$c: Prometheus does not see every service up during the drill"
        ok=0
    elif ! signals "$s" "$c" active; then
        fail "$s/$c: the signals did not all show during the drill"
        ok=0
    fi
    kubectl -n "$lab" delete drill "$drill" --wait=true --timeout="${timeout}s" >/dev/null || fail "$s/$c: drill $drill not deleted"
    kubectl -n "$control" delete secret "$secret" --ignore-not-found >/dev/null
    if ! poll_until "$timeout" no_injections "$uid"; then
        fail "$s/$c: FaultInjections of $drill still there after ${timeout}s"
    elif ! signals "$s" "$c" recovered; then
        fail "$s/$c: the signals did not clear after the revert"
    elif ((ok)); then
        passed=$((passed + 1))
        echo "ok   $s/$c"
    fi
}

for s in $scenarios; do
    echo "== $s"
    if ! poll_until 30 is_true scenario "$s" "$control" Valid; then
        fail "$s: not Valid: $(kubectl -n "$control" get scenario "$s" -o jsonpath='{.status.conditions[0].message}')"
        continue
    fi
    culprits="$("$firedrill" scenarios culprits "$s")" || { fail "$s: not in the local catalog (scenarios/)"; continue; }
    [[ "${ALL_CULPRITS:-0}" == 1 ]] || culprits="$(head -n1 <<<"$culprits")"
    while read -r culprit seed; do
        verify_culprit "$s" "$culprit" "$seed" </dev/null
    done <<<"$culprits"
done

echo "verify-kind: $passed passed, $failures failed"
((failures == 0))
