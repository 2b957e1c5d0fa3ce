#!/usr/bin/env bash
# `make e2e`: the teams' path on a real single-node cluster, whole, then torn down.
#   1. images built here, no registry (tools/images/build.sh)
#   2. the cluster from real parts (tools/cluster/up.sh; docs/kind.md "The CI cluster")
#   3. `make install` of the chart with charts/firedrill/ci/no-grafana-values.yaml; every
#      Deployment Available; Prometheus scraping every lab pod; traces in Jaeger and logs in
#      VictoriaLogs from the pods
#   4. a whole drill with kubectl as players (tools/e2e/drill.sh), the debrief
#   5. the game-day screen through the command NOTES prints (kubectl port-forward)
#   6. `make verify-kind` on the cluster's backends, every scenario
#   7. what only real pods show (operator/tests/e2e, one test at a time, helm uninstall last)
#   (footprint: the pods' memory from their cgroups, read after verify's 17 minutes of drills;
#    bench, only when E2E_STEPS names it: injection latency for 1, 10, 50 replicas)
#   8. teardown, and a check that nothing is left (tools/cluster/clean-check.sh)
# Each step prints its time; the figures go to target/e2e/timings.txt.
#
#   tools/e2e/run.sh          (root; env: E2E_STEPS="chart drill ..." runs only those of 3-7;
#                              the default is "chart drill screen verify footprint pods")
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=../cluster/env.sh
source tools/cluster/env.sh
# shellcheck source=../lib.sh
source tools/lib.sh
out=target/e2e
mkdir -p "$out"
: >"$out/timings.txt"
steps="${E2E_STEPS:-chart drill screen verify footprint pods}"
X=tools/cluster/exec.sh
started=$SECONDS
step_start=$SECONDS
step() { echo; echo "== e2e: $*"; step_start=$SECONDS; }
took() { echo "$1 $((SECONDS - step_start))" >>"$out/timings.txt"; echo "== e2e: $1 took $((SECONDS - step_start)) s"; }
want() { [[ " $steps " == *" $1 "* ]]; }
fail() { echo "== e2e: FAIL $*" >&2; exit 1; }

tools/cluster/clean-check.sh snapshot "$out/host-before"
teardown() {
    local rc=$?
    step "teardown"
    if ((rc)); then
        "$X" kubectl get pods -A -o wide >"$out/pods-at-failure.txt" 2>&1 || true
        "$X" kubectl get events -A --sort-by=.lastTimestamp >"$out/events-at-failure.txt" 2>&1 || true
    fi
    FIREDRILL_CLUSTER_LOGS="$out/cluster-logs" tools/cluster/down.sh
    tools/cluster/clean-check.sh compare "$out/host-before" || rc=1
    took teardown
    echo "== e2e: $( ((rc)) && echo FAILED || echo passed) in $((SECONDS - started)) s (logs: $out)"
    exit "$rc"
}
trap teardown EXIT

step "images (release binaries, then one archive per image)"
make -s release
tools/images/build.sh target/images >"$out/images.txt"
took images

step "cluster"
tools/cluster/up.sh target/images/*.tar
took cluster

if want chart; then
    step "chart (make install, CI values)"
    "$X" make -s install VALUES=charts/firedrill/ci/no-grafana-values.yaml >"$out/notes.txt"
    took chart
    echo "ready_lab_from_empty $((SECONDS - started))" >>"$out/timings.txt"
    step "signals from the pods"
    up_all() { # every lab pod and the operator scraped, up == 1
        local raw pods p
        raw="$("$X" curl -fsS "http://$CLUSTER_NODE_IP:30090/api/v1/query?query=up")" || return 1
        pods="$("$X" kubectl -n firedrill-lab get pods -o jsonpath='{.items[*].metadata.name}') $("$X" kubectl -n firedrill-system get pods -l app.kubernetes.io/name=firedrill-operator -o jsonpath='{.items[*].metadata.name}')"
        for p in $pods; do grep -q "\"instance\":\"$p\"[^}]*},\"value\":\[[0-9.]*,\"1\"\]" <<<"$raw" || { echo "not scraped: $p"; return 1; }; done
    }
    traces_and_logs() { # Jaeger holds traces and VictoriaLogs logs from all six services
        local s n
        for s in api inventory pricing warehouse checkout payments; do
            "$X" curl -fsS "http://$CLUSTER_NODE_IP:30686/api/services" | grep -q "\"$s\"" || { echo "Jaeger has no traces from $s yet"; return 1; }
            n="$("$X" curl -fsS "http://$CLUSTER_NODE_IP:30428/select/logsql/hits" --data-urlencode "query=service.name:=$s" --data-urlencode step=1h | grep -o '"total":[0-9]*' | head -1)"
            [[ "${n#*:}" -gt 0 ]] 2>/dev/null || { echo "VictoriaLogs has no logs from $s yet ($n)"; return 1; }
        done
    }
    # Each signal arrives on its own schedule (scrape interval, span batches, log flushes), so
    # each is polled with one deadline rather than read once.
    poll_until 120 up_all || fail "Prometheus does not scrape every lab pod: $("$X" curl -fsS "http://$CLUSTER_NODE_IP:30090/api/v1/targets?state=active" | head -c 2000)"
    poll_until 120 traces_and_logs || fail "no traces or no logs from every service within 120 s (above)"
    echo "every lab pod scraped; traces and logs from all six services"
    took signals
fi

if want drill; then
    step "a whole drill with kubectl, as players"
    "$X" tools/e2e/drill.sh "$CLUSTER_NODE_IP"
    took drill
fi

if want screen; then
    step "the game-day screen, as NOTES says (kubectl port-forward), during a drill and after"
    grep -q 'port-forward svc/firedrill-screen 8081' "$out/notes.txt" || fail "NOTES no longer prints the screen's port-forward"
    "$X" kubectl -n firedrill-system port-forward svc/firedrill-screen 18081:8081 >"$out/port-forward.log" 2>&1 &
    pf=$!
    state() { "$X" curl -fsS http://127.0.0.1:18081/api/state; }
    screen_check() {
        local d=$((SECONDS + 30)) scenario=storefront-slow-flat-errors culprit seed s
        until "$X" curl -fsS http://127.0.0.1:18081/ -o "$out/screen.html" 2>/dev/null; do
            ((SECONDS < d)) || { echo "not reachable: $(cat "$out/port-forward.log")"; return 1; }
            sleep 1
        done
        grep -qi '<html' "$out/screen.html" || { echo "no page"; return 1; }
        read -r culprit seed < <(target/release/firedrill scenarios culprits "$scenario" | head -n1)
        "$X" kubectl -n firedrill-system create secret generic e2e-screen-draw --from-literal=scenario="$scenario" --from-literal=seed="$seed" >/dev/null
        "$X" kubectl -n firedrill-lab create -f - >/dev/null <<<'{"apiVersion":"firedrill.dev/v1alpha1","kind":"Drill","metadata":{"name":"e2e-screen"},"spec":{"drawSecret":"e2e-screen-draw","warmUpSeconds":0}}'
        d=$((SECONDS + 60))
        until s="$(state)" && grep -q '"phase":"active"' <<<"$s"; do ((SECONDS < d)) || { echo "no active drill on the screen: $s"; return 1; }; sleep 1; done
        for word in "$scenario" "$culprit"; do
            grep -q "$word" <<<"$s" && { echo "the screen shows $word before the revert"; return 1; }
        done
        "$X" kubectl -n firedrill-lab delete drill e2e-screen --wait=true >/dev/null
        "$X" kubectl -n firedrill-system delete secret e2e-screen-draw >/dev/null
        # The operator forgets a deleted Drill's screen record; what matters is that nothing
        # leaked while it ran. The page itself answered through the command NOTES prints.
        echo "screen reachable by port-forward ($(wc -c <"$out/screen.html") bytes); during the drill its state named neither $scenario nor $culprit"
    }
    rc=0; screen_check || rc=$?
    kill "$pf" 2>/dev/null || true
    ((rc == 0)) || fail "the game-day screen on the cluster"
    took screen
fi

if want verify; then
    step "make verify-kind on the cluster's backends"
    "$X" env PROMETHEUS="$CLUSTER_NODE_IP:30090" JAEGER="$CLUSTER_NODE_IP:30686" VICTORIALOGS="$CLUSTER_NODE_IP:30428" \
        make -s verify-kind
    took verify
fi

# e2e_test NAME [CARGO_FLAG]: one test of operator/tests/e2e (its full path), which must run
# and pass: a name that matches nothing would otherwise "pass" with 0 tests. The checks run the
# debug build `make unit` already compiled; the bench passes --release.
e2e_test() {
    local log="$out/${1//::/_}.txt"
    "$X" env FIREDRILL_HELM="$(tools/helm/ensure.sh)" FOOTPRINT_MINUTES="${FOOTPRINT_MINUTES:-10}" cargo test -q --workspace ${2:-} --test e2e \
        -- --ignored --exact --nocapture "$1" 2>&1 | tee "$log"
    grep -q 'test result: ok. 1 passed' "$log" || fail "operator/tests/e2e $1 did not run and pass"
}

if want bench; then
    step "figures: injection latency on real pods (1, 10, 50 replicas), the lab's memory after a drill"
    cargo test -q --workspace --release --test e2e --no-run
    for t in bench::bench_injection_real_pods bench::bench_footprint; do e2e_test "$t" --release; done
    took bench
fi

if want footprint; then
    step "the lab's memory, from the pods' cgroups, after verify's drills"
    cargo test -q --workspace --test e2e --no-run
    # At once by default (verify-kind's drills just ran); FOOTPRINT_MINUTES=10 reads after 10
    # minutes of one more drill instead.
    FOOTPRINT_MINUTES="${FOOTPRINT_MINUTES:-0}" e2e_test bench::bench_footprint
    took footprint
fi

if want pods; then
    step "what only real pods show (operator/tests/e2e)"
    cargo test -q --workspace --test e2e --no-run
    # helm_uninstall_mid_drill removes the chart: it goes last.
    for t in players_view deleted_pod scale_up operator_killed helm_uninstall_mid_drill; do e2e_test "$t"; done
    took pods
fi
