#!/usr/bin/env bash
# A whole drill with kubectl alone, as the README and the chart's NOTES show it, on a cluster
# with the chart installed (`make e2e` runs it in the CI cluster's namespace):
#   - the facilitator starts a drill of a chosen scenario and seed (a draw Secret players cannot
#     read: `make drill SCENARIO=...`'s way, with the seed that picks a known culprit);
#   - players (`--as alice|bob --as-group firedrill:players`) read the drill, the pods and their
#     logs, query Prometheus, Jaeger and VictoriaLogs through their NodePorts, ask for a Hint, and
#     answer: bob wrongly first, then alice rightly;
#   - the operator judges (alice wins, FirstCorrectWins), reverts (no FaultInjection left), and
#     `make debrief` prints the debrief with the truth.
#
#   tools/e2e/drill.sh NODE_IP      (env: CONTROL_NS, LAB_NS, FIREDRILL)
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
node="${1:?usage: drill.sh NODE_IP}"
control="${CONTROL_NS:-firedrill-system}"
lab="${LAB_NS:-firedrill-lab}"
firedrill="${FIREDRILL:-target/release/firedrill}"
scenario=storefront-slow-flat-errors
say() { echo "drill: $*" >&2; }
die() { echo "drill: FAIL $*" >&2; exit 1; }
kp() { kubectl -n "$lab" --as "$1" --as-group firedrill:players "${@:2}"; }
# wait_for SECONDS WHAT CMD...: poll_until CMD (tools/lib.sh), or die naming WHAT.
wait_for() { local limit=$1 what=$2; shift 2; poll_until "$limit" "$@" || die "$what: not within ${limit} s"; }
# The culprit the facilitator picks, and its answer, from the scenario file.
read -r culprit seed < <("$firedrill" scenarios culprits "$scenario" | head -n1)
say "facilitator: $scenario, culprit $culprit (seed $seed)"

# --- the facilitator ---
secret="game-day-draw-e2e"
kubectl -n "$control" create secret generic "$secret" --from-literal=scenario="$scenario" --from-literal=seed="$seed"
kubectl -n "$lab" apply -f - <<EOF
apiVersion: firedrill.dev/v1alpha1
kind: Drill
metadata: { name: game-day }
spec: { mode: FirstCorrectWins, drawSecret: $secret, warmUpSeconds: 10 }
EOF
phase() { kubectl -n "$lab" get drill game-day -o jsonpath='{.status.phase}'; }
is_phase() { [[ "$(phase)" == "$1" ]]; }
wait_for 120 "drill active" is_phase active
kubectl -n "$lab" get drills

# --- the players investigate ---
briefing="$(kp alice get drill game-day -o jsonpath='{.status.briefing}')"
[[ -n "$briefing" ]] || die "alice cannot read the briefing"
grep -qi "$scenario" <<<"$(kp alice get drill game-day -o yaml)" && die "the Drill a player reads names the scenario"
kp alice get pods >/dev/null || die "alice cannot list the lab's pods"
kp alice logs deploy/api --since 5m --tail 20 >/dev/null || die "alice cannot read api's logs"
kp alice exec deploy/api -- true 2>/dev/null && die "alice may exec into a lab pod"
kp alice get secrets 2>/dev/null && die "alice may list Secrets"
kubectl -n "$control" --as alice --as-group firedrill:players get secret "$secret" 2>/dev/null && die "alice may read the draw Secret"
# The backends, through the NodePorts NOTES lists (kind maps them to localhost).
curl -fsS "http://$node:30090/api/v1/query?query=sum%20by%20(job)%20(rate(http_server_request_duration_seconds_count%5B1m%5D))" \
    | grep -q '"job":"pricing"' || die "Prometheus has no request rate for pricing"
curl -fsS "http://$node:30686/api/services" | grep -q '"pricing"' || die "Jaeger has no traces from pricing"
logs="$(curl -fsS "http://$node:30428/select/logsql/query" --data-urlencode 'query=_time:5m | stats by (service.name) count() n')"
grep -q 'pricing' <<<"$logs" || die "VictoriaLogs has no logs from pricing: $logs"
say "players read the drill, pods, logs, and the three backends"

# --- a hint, a wrong answer, the right one ---
kp alice create -f - <<EOF
apiVersion: firedrill.dev/v1alpha1
kind: Hint
metadata: { name: alice-hint-1 }
spec: { drill: game-day, player: alice }
EOF
kp alice get hints -o wide
answer="$(awk -v c="$culprit" '$0 ~ "- id: "c"$" { found = 1 } found && /answer:/ { print; exit }' "scenarios/$scenario.yaml")"
service="$(sed -E 's/.*service: ([a-z]+).*/\1/' <<<"$answer")"
class="$(sed -E 's/.*faultClass: ([a-z-]+).*/\1/' <<<"$answer")"
[[ -n "$service" && -n "$class" ]] || die "no answer for $culprit in scenarios/$scenario.yaml"
wrong=checkout; [[ "$service" == checkout ]] && wrong=api
kp bob create -f - <<EOF
apiVersion: firedrill.dev/v1alpha1
kind: Diagnosis
metadata: { name: bob-1 }
spec: { drill: game-day, player: bob, service: $wrong, faultClass: errors }
EOF
kp alice create -f - <<EOF
apiVersion: firedrill.dev/v1alpha1
kind: Diagnosis
metadata: { name: alice-1 }
spec: { drill: game-day, player: alice, service: $service, faultClass: $class, note: "from the signals" }
EOF
winner() { [[ "$(kubectl -n "$lab" get drill game-day -o jsonpath='{.status.winner}')" == alice ]]; }
wait_for 60 "alice wins" winner
kp alice get diagnoses
reverted() { [[ -z "$(kubectl -n "$control" get faultinjections -o name)" ]] && [[ "$(phase)" =~ ^(reverted|debriefed)$ ]]; }
wait_for 120 "the drill reverted, no FaultInjection left" reverted
kubectl -n "$lab" get drill game-day -o yaml | sed -n '/^status:/,$p' | head -40

# --- the debrief ---
debrief="$(make -s debrief DRILL=game-day)"
grep -q "$culprit\|$scenario" <<<"$debrief" || die "the debrief names neither the scenario nor the culprit"
echo "$debrief" | head -30
kubectl -n "$lab" delete drill game-day --wait=true >/dev/null
kubectl -n "$control" delete secret "$secret" >/dev/null
say "ok: a whole drill with kubectl; alice won, the operator reverted, the debrief printed"
