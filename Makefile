# firedrill — common tasks. `make help` lists them.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: help build release test lint fmt lab bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: ## Build every crate (debug)
	$(CARGO) build --workspace

release: ## Build the service binaries with the release profile
	$(CARGO) build --release --bins

test: ## Run the whole test suite (what CI runs)
	$(CARGO) test --workspace

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
