#!/usr/bin/env bash
# Scenario regression against a running kind lab (`make verify-kind`), with kubectl only.
# For every Scenario in the control namespace (or those named in SCENARIOS):
#   1. the operator parsed it (condition Valid=True);
#   2. a Drill of it reaches Ready=True: every planned FaultInjection was delivered to the
#      pods' chaos agents and the clock started;
#   3. Prometheus scrapes every service while the drill runs (`up == 1` for each job);
#   4. deleting the Drill reverts it: its FaultInjections are gone within the timeout.
# What it does not check yet: each scenario's signals (PromQL/traces) on the kind backends;
# `firedrill verify` checks those on the local lab (see docs/kind.md, "What is verified").
#
#   tools/kind/verify.sh [CONTROL_NS] [LAB_NS]        SCENARIOS="retry-storm ..." to narrow
set -euo pipefail

control="${1:-firedrill-system}"
lab="${2:-firedrill-lab}"
timeout="${VERIFY_TIMEOUT:-180}"
failures=0
passed=0

fail() { echo "FAIL $*" >&2; failures=$((failures + 1)); }

# wait_for SECONDS CMD...: polls CMD every 2 s until it succeeds or the time is up.
wait_for() {
    local limit=$1; shift
    local deadline=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 2
    done
}

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

for s in $scenarios; do
    echo "== $s"
    if ! wait_for 30 is_true scenario "$s" "$control" Valid; then
        fail "$s: not Valid: $(kubectl -n "$control" get scenario "$s" -o jsonpath='{.status.conditions[0].message}')"
        continue
    fi
    drill="$(printf '%s' "{\"apiVersion\":\"firedrill.dev/v1alpha1\",\"kind\":\"Drill\",\"metadata\":{\"generateName\":\"verify-$s-\"},\"spec\":{\"scenario\":\"$s\"}}" \
        | kubectl -n "$lab" create -f - -o jsonpath='{.metadata.name}')"
    uid="$(kubectl -n "$lab" get drill "$drill" -o jsonpath='{.metadata.uid}')"
    if ! wait_for "$timeout" is_true drill "$drill" "$lab" Ready; then
        fail "$s: drill $drill not Ready after ${timeout}s: $(kubectl -n "$lab" get drill "$drill" -o jsonpath='{.status.conditions}')"
    elif ! wait_for 60 jobs_up; then
        fail "$s: Prometheus does not see every service up during the drill"
    fi
    kubectl -n "$lab" delete drill "$drill" --wait=true --timeout="${timeout}s" >/dev/null || fail "$s: drill $drill not deleted"
    if wait_for "$timeout" no_injections "$uid"; then
        passed=$((passed + 1))
        echo "ok   $s"
    else
        fail "$s: FaultInjections of $drill still there after ${timeout}s"
    fi
done

echo "verify-kind: $passed passed, $failures failed"
((failures == 0))
