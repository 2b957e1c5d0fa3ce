# firedrill — common tasks. `make help` lists them.
SHELL := /bin/bash
CARGO ?= cargo

SCENARIO ?= retry-storm
FIREDRILL := target/release/firedrill

.PHONY: help build release test unit verify play lab-up lab-down lint fmt bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: ## Build every crate (debug)
	$(CARGO) build --workspace

release: ## Build every binary (services, loadgen, firedrill) with the release profile
	$(CARGO) build --release --bins

test: unit verify ## The whole test suite (what CI runs): unit + integration tests, then every scenario verified

unit: ## Unit and integration tests (real sockets, real service binaries)
	$(CARGO) build --workspace --bins
	$(CARGO) test --workspace

verify: release ## Every shipped scenario run on the local lab and checked on real Prometheus
	$(FIREDRILL) verify --junit target/verify.junit.xml

play: release ## Play a drill in this terminal: make play SCENARIO=retry-storm
	$(FIREDRILL) play $(SCENARIO)

lab-up: release ## Start the local lab in the background (then: firedrill drill start ...)
	$(FIREDRILL) lab up

lab-down: ## Stop the local lab
	$(FIREDRILL) lab down

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
