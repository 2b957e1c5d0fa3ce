# firedrill — common tasks. `make help` lists them.
SHELL := /bin/bash
CARGO ?= cargo

SCENARIO ?= storefront-slow-flat-errors
FIREDRILL := target/release/firedrill

.PHONY: help build release test e2e-needs-root unit verify play lab-up lab-down lint fmt bench clean kube-tools crds bench-operator backends jaeger victorialogs

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: ## Build every crate (debug)
	$(CARGO) build --workspace

release: ## Build every binary (services, loadgen, firedrill) with the release profile
	$(CARGO) build --release --bins

# As root (CI is), the whole suite ends with `make e2e`: the chart on a real single-node cluster.
E2E := $(if $(filter 0,$(shell id -u)),e2e,e2e-needs-root)

test: unit verify $(E2E) ## The whole test suite (what CI runs): unit + integration tests, every scenario verified, then (as root) make e2e

e2e-needs-root:
	@echo "make test: left out make e2e (the chart on a real cluster), which needs root: sudo make e2e" >&2

unit: kube-tools helm-tool backends ## Unit and integration tests (real sockets, real service binaries, a real kube-apiserver)
	$(CARGO) build --workspace --bins
	$(CARGO) test --workspace

verify: release backends ## Every shipped scenario run on the local lab and checked on real Prometheus, Jaeger and VictoriaLogs
	$(FIREDRILL) verify --junit target/verify.junit.xml

# Without SCENARIO on the command line, play draws one (a mystery drill): the default above is
# for the kind targets. FROM=a,b limits the draw.
play: release backends ## Play a drill in this terminal with all three signals: make play (drawn), make play FROM=a,b, make play SCENARIO=storefront-slow-flat-errors
	$(FIREDRILL) play $(if $(filter command line environment,$(origin SCENARIO)),$(SCENARIO)) $(if $(FROM),--from $(FROM))

lab-up: release backends ## Start the local lab in the background (then: firedrill drill start ...)
	$(FIREDRILL) lab up

lab-down: ## Stop the local lab
	$(FIREDRILL) lab down

backends: ## Build the lab's trace and log backends once (cached by version; minutes the first time)
	@. tools/jaeger/versions.env; . tools/victorialogs/versions.env; c="$${FIREDRILL_TOOLS_CACHE:-$$HOME/.cache/firedrill/tools}"; \
	[ -x "$$c/jaeger-$$JAEGER_VERSION/jaeger" ] && [ -x "$$c/victoria-logs-$$VICTORIALOGS_VERSION/victoria-logs" ] || \
	echo "make: building Jaeger and VictoriaLogs from their Go modules for traces and logs (first run only: about 6 minutes on 2 free cores, then cached)" >&2
	tools/jaeger/ensure.sh >/dev/null
	tools/victorialogs/ensure.sh >/dev/null

jaeger: ## Build Jaeger from its Go module once (cached by version); the lab starts it when present
	tools/jaeger/ensure.sh >/dev/null

victorialogs: ## Build VictoriaLogs from its Go module once (cached by version); the lab sends logs to it when present
	tools/victorialogs/ensure.sh >/dev/null

kube-tools: ## Build (once, cached) the kube-apiserver and etcd the operator tests run against
	tools/kube/ensure.sh

crds: ## Regenerate charts/firedrill/crds from the operator's Rust types
	$(CARGO) run -q -p firedrill-operator --bin crdgen

bench-operator: kube-tools ## Operator injection/revert latency for 1, 10, 50 pods
	$(CARGO) test -p firedrill-operator --release --test cluster -- --ignored --nocapture bench

lint: ## Formatting and clippy gates, as CI runs them
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt: ## Format the code
	$(CARGO) fmt --all

bench: release ## Benchmarks: chaos-layer overhead, throughput, memory, fault precision
	$(CARGO) bench -p firedrill-runtime --bench chaos_overhead
	python3 tools/bench/lab_bench.py

clean: ## Remove build output
	$(CARGO) clean

# === kind: the lab on a local Kubernetes cluster (docs/kind.md) ===

KIND_CLUSTER ?= firedrill
IMAGE ?= firedrill:0.1.0
CONTROL_NS ?= firedrill-system
LAB_NS ?= firedrill-lab

.PHONY: images up install uninstall down drill debrief verify-kind chart-check helm-tool e2e cluster-tools

# $(call need,tool...): stop with a clear message when a tool is missing (bash builtins only).
need = @for t in $(1); do command -v $$t >/dev/null 2>&1 || { \
	echo "make $@: '$$t' is missing; install it (versions in docs/kind.md, Prerequisites)" >&2; exit 1; }; done

images: ## Build the one firedrill image (every binary) with Docker: IMAGE=firedrill:0.1.0
	$(call need,docker)
	docker build -t $(IMAGE) .

up: ## Create the kind cluster, build and load the image, install the chart, wait, print where to look
	$(call need,docker kind kubectl helm)
	@if kind get clusters 2>/dev/null | grep -qx '$(KIND_CLUSTER)'; then \
		echo "kind cluster $(KIND_CLUSTER) exists; reusing it"; \
	else kind create cluster --name $(KIND_CLUSTER) --config kind-config.yaml --wait 120s; fi
	$(MAKE) images
	kind load docker-image $(IMAGE) --name $(KIND_CLUSTER)
	$(MAKE) install

# VALUES=file.yaml adds a values file (make e2e: charts/firedrill/ci/no-grafana-values.yaml).
install: ## Install the chart on the current kubectl context (what `make up` and `make e2e` do once the cluster and the image are there)
	$(call need,kubectl helm)
	@# helm installs crds/ only on first install, never on upgrade: apply them so they stay current.
	kubectl apply --server-side --force-conflicts -f charts/firedrill/crds/
	helm upgrade --install firedrill charts/firedrill --namespace $(CONTROL_NS) --create-namespace \
		--set image.repository=$(firstword $(subst :, ,$(IMAGE))) --set-string image.tag=$(lastword $(subst :, ,$(IMAGE))) \
		--set lab.namespace=$(LAB_NS) $(if $(VALUES),--values $(VALUES)) --wait --timeout 10m
	kubectl -n $(LAB_NS) wait --for=condition=Available deployment --all --timeout=5m
	kubectl -n $(CONTROL_NS) wait --for=condition=Available deployment --all --timeout=5m
	helm get notes firedrill --namespace $(CONTROL_NS)

# A kind drill is a mystery like `make play`: drawn from every installed Scenario, or from
# FROM=a,b; SCENARIO=x (on the command line) is the facilitator's choice, kept in a Secret in
# the control namespace so players reading the Drill cannot see it.
drill: ## Start a drill on the kind lab: make drill (drawn), make drill FROM=a,b, make drill SCENARIO=storefront-slow-flat-errors
	$(call need,kubectl)
	@secret=""; if [ "$(origin SCENARIO)" = "command line" ]; then \
		secret="game-day-draw-$$(date +%s)"; \
		kubectl -n $(CONTROL_NS) create secret generic "$$secret" --from-literal=scenario='$(SCENARIO)' >/dev/null || exit 1; \
	fi; \
	from='$(FROM)'; from="$${from:+\"from\":[\"$${from//,/\",\"}\"],}"; \
	printf '{"apiVersion":"firedrill.dev/v1alpha1","kind":"Drill","metadata":{"generateName":"game-day-"},"spec":{%s%s}}\n' \
		"$$from" "$${secret:+\"drawSecret\":\"$$secret\"}" | sed 's/,}}$$/}}/' \
		| kubectl -n $(LAB_NS) create -f - -o name
	@echo "watch it: kubectl -n $(LAB_NS) get drills -w"

debrief: ## The facilitator's debrief of a finished kind drill: make debrief DRILL=storefront-slow-flat-errors-x7k2p
	$(call need,kubectl base64)
	@test -n '$(DRILL)' || { echo "make debrief: name the drill: make debrief DRILL=<name> (kubectl -n $(LAB_NS) get drills)" >&2; exit 1; }
	@uid=$$(kubectl -n $(LAB_NS) get drill '$(DRILL)' -o jsonpath='{.metadata.uid}') || exit 1; \
	md=$$(kubectl -n $(CONTROL_NS) get secret "drill-truth-$$uid" -o jsonpath='{.data.debrief\.md}') || exit 1; \
	if [ -z "$$md" ]; then echo "make debrief: drill $(DRILL) has no debrief yet; the operator writes it once the drill has reverted" >&2; exit 1; fi; \
	echo "$$md" | base64 -d

verify-kind: ## Scenario regression against the kind lab: each drill injects, its signals show on the cluster's backends, it reverts
	$(call need,kubectl)
	@# The same build as `make release` (one feature set: `-p firedrill-cli` alone rebuilt for minutes).
	$(CARGO) build --release --bins
	FIREDRILL=target/release/firedrill tools/kind/verify.sh $(CONTROL_NS) $(LAB_NS)

e2e: kube-tools helm-tool backends cluster-tools ## The teams' path on a real single-node cluster built here (root): images, cluster, chart, a kubectl drill, verify, real-pod tests, teardown (docs/kind.md "The CI cluster")
	@[ "$$(id -u)" = 0 ] || { echo "make e2e: needs root (network namespaces, containerd, kubelet): sudo make e2e" >&2; exit 1; }
	tools/e2e/run.sh

cluster-tools: ## Build (once, cached) what the e2e cluster runs besides the Rust binaries: kubelet & co., CoreDNS, Prometheus, pause
	@c="$${FIREDRILL_TOOLS_CACHE:-$$HOME/.cache/firedrill/tools}"; . tools/kube/versions.env; \
	[ -x "$$c/kubelet-$$KUBE_VERSION/kubelet" ] || echo "make: building kubelet, kube-controller-manager, kube-scheduler, kube-proxy and kubectl (first run only: about 25 minutes on 2 cores, then cached)" >&2
	tools/kube/ensure.sh node >/dev/null
	tools/coredns/ensure.sh >/dev/null
	tools/prometheus/ensure.sh >/dev/null
	tools/images/pause.sh >/dev/null

uninstall: ## Remove the chart from the current cluster: end every drill first (the operator reverts and releases them), then helm uninstall
	$(call need,kubectl helm)
	@# A Drill's finalizer waits for the operator to revert it: uninstalled first, the operator could not,
	@# and the lab namespace would stay Terminating (found by make e2e's helm-uninstall test).
	kubectl -n $(LAB_NS) delete drills --all --wait=true --timeout=2m
	helm uninstall firedrill --namespace $(CONTROL_NS) --wait --timeout 5m

down: ## Delete the kind cluster (the whole lab)
	$(call need,kind)
	kind delete cluster --name $(KIND_CLUSTER)

helm-tool: ## Build (once, cached) the helm the chart checks run (tools/helm, pinned v3.22.0)
	tools/helm/ensure.sh

chart-check: helm-tool ## Chart checks without Docker: helm lint/template, API-server dry run, kind/CI/Dockerfile consistency
	$(CARGO) test -p firedrill-operator --test chart
