# The two commands of the README, and the steps they are made of.
#   make run   — set up this machine (idempotent) and run the gateway on its embedded default
#   make test  — set up this machine (idempotent) and run every test, end-to-end SIPp calls included
SWIFT ?= swift
BIN := .build/debug/hotline1022

.PHONY: run test bootstrap build prompts bench-store bench-capacity clean

bootstrap:
	./scripts/bootstrap

build: bootstrap
	$(SWIFT) build --product hotline1022

prompts: build
	$(BIN) prompts build

run: prompts
	$(BIN) serve

test: bootstrap
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench-store: bootstrap
	./scripts/bench-store

bench-capacity: bootstrap
	./scripts/bench-capacity

clean:
	rm -rf .build
