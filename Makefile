# wirelab: `make help` lists the targets.

GO        ?= go
GOROOT    := $(shell $(GO) env GOROOT)
# Node runs GOOS=js test binaries through this wrapper (Go 1.24+ layout).
WASM_EXEC := $(GOROOT)/lib/wasm
BENCHTIME ?= 1x
FUZZTIME  ?= 10s

.DEFAULT_GOAL := help
.PHONY: help build run test vet lint test-native test-js conformance-dovecot bench fuzz clean

help: ## show this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build bin/wirelab
	$(GO) build -o bin/wirelab ./cmd/wirelab

run: build ## serve the demo world on loopback (POP3 on 127.0.0.1:1110, DNS on 127.0.0.1:1053)
	./bin/wirelab serve

test: vet lint test-native test-js conformance-dovecot ## everything CI runs: vet, staticcheck, race tests, wasm tests, real clients, Dovecot
	@echo "make test: all passed"

vet: ## go vet, natively and for GOOS=js
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./engine/... ./playground/... ./wasm

lint: ## staticcheck, natively and for GOOS=js
	$(GO) tool staticcheck ./...
	GOOS=js GOARCH=wasm "$$($(GO) tool -n staticcheck)" ./engine/... ./playground/... ./wasm

test-native: ## go test -race ./... (includes Python poplib and curl against wirelab serve)
	$(GO) test -race -count=1 ./...

test-js: ## engine and playground tests compiled to WebAssembly and run by Node
	PATH="$(WASM_EXEC):$$PATH" GOOS=js GOARCH=wasm $(GO) test -count=1 ./engine/... ./playground/...

conformance-dovecot: build ## the mail transcripts against Dovecot, started on loopback (skipped if not installed, except with CI=true)
	conformance/dovecot.sh bin/wirelab

bench: ## engine and native benchmarks (BENCHTIME=1x by default; try BENCHTIME=3s)
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./engine/... ./conformance/... ./cmd/...

fuzz: ## short runs of every fuzz target (FUZZTIME=10s each)
	@for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$target"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

clean: ## remove build output
	rm -rf bin
