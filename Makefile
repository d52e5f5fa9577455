# wirelab: `make help` lists the targets.

GO        ?= go
GOROOT    := $(shell $(GO) env GOROOT)
# Node runs GOOS=js test binaries through this wrapper (Go 1.24+ layout).
WASM_EXEC := $(GOROOT)/lib/wasm
# The built playground, embedded by cmd/wirelab (see its README.md).
WEB       := cmd/wirelab/web
BENCHTIME ?= 1x
# Node packages the WebAssembly tests load (see node-deps).
NODE_DEPS := $(CURDIR)/.cache/node
export NODE_PATH := $(NODE_DEPS)/node_modules$(if $(NODE_PATH),:$(NODE_PATH))
FUZZTIME  ?= 10s

.DEFAULT_GOAL := help
.PHONY: help build site run test vet lint test-native test-js conformance-dovecot bench bench-peers fuzz node-deps clean

help: ## show this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: site ## build bin/wirelab, with the playground embedded
	$(GO) build -o bin/wirelab ./cmd/wirelab

# The page's files that site/ holds (its own copies of main.wasm and
# wasm_exec.js, if any, are not taken: the build makes both).
SITE_FILES := -name '*.html' -o -name '*.css' -o -name '*.js' -o -name '*.json' -o -name '*.svg' -o -name '*.png' -o -name '*.ico' -o -name '*.woff2' -o -name '*.txtar'

site: ## build the playground into cmd/wirelab/web: site/, main.wasm, the Go installation's wasm_exec.js, and .br/.gz variants
	find $(WEB) -mindepth 1 ! -name README.md -delete
	cd site && find . -type f \( $(SITE_FILES) \) ! -name wasm_exec.js -exec cp --parents {} ../$(WEB)/ \;
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o $(WEB)/main.wasm ./wasm
	cp $(GOROOT)/lib/wasm/wasm_exec.js $(WEB)/
	find $(WEB) -type f ! -name README.md -exec gzip -9 -k -n -f {} \;
	@if command -v brotli >/dev/null; then \
	  find $(WEB) -type f ! -name README.md ! -name '*.gz' -exec brotli -q 11 -k -f {} \; ; \
	else echo "brotli is not installed (apt-get install brotli): serving gzip variants only"; fi

run: build ## serve the demo world and the playground on loopback (http://127.0.0.1:8080/, POP3 on 127.0.0.1:1110, DNS on 127.0.0.1:1053)
	@echo "the playground: http://127.0.0.1:8080/"
	./bin/wirelab serve

test: vet lint test-native test-js conformance-dovecot ## everything CI runs: vet, staticcheck, race tests, wasm tests, real clients, Dovecot
	@echo "make test: all passed"

vet: ## go vet, natively and for GOOS=js
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./engine/... ./playground/... ./wasm

lint: ## staticcheck, natively and for GOOS=js
	$(GO) tool staticcheck ./...
	GOOS=js GOARCH=wasm "$$($(GO) tool -n staticcheck)" ./engine/... ./playground/... ./wasm

test-native: site ## go test -race ./... (includes Python poplib and curl against wirelab serve, and the playground in headless Chromium)
	$(GO) test -race -count=1 ./...

test-js: ## engine and playground tests compiled to WebAssembly and run by Node
	PATH="$(WASM_EXEC):$$PATH" GOOS=js GOARCH=wasm $(GO) test -count=1 ./engine/... ./playground/...

conformance-dovecot: build ## the mail transcripts against Dovecot, started on loopback (skipped if not installed, except with CI=true)
	conformance/dovecot.sh bin/wirelab

bench: site ## engine, native and playground benchmarks: wasm sizes, page load and in-browser engine speed in headless Chromium (BENCHTIME=1x by default; try BENCHTIME=3s)
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./engine/... ./conformance/... ./playground/... ./cmd/...

bench-peers: ## wirelab side by side with Dovecot, go-imap and Unbound (minutes; writes docs/benchmarks.md and .svg; PEERS_FLAGS=-quick to smoke-test)
	$(GO) run ./bench/peers $(PEERS_FLAGS)

fuzz: ## short runs of every fuzz target (FUZZTIME=10s each)
	@for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$target"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

node-deps: ## install the Node packages the WebAssembly tests use (fake-indexeddb) under .cache/node
	npm install --no-save --no-audit --no-fund --prefix $(NODE_DEPS) fake-indexeddb@6.2.8

clean: ## remove build output
	rm -rf bin
	find $(WEB) -mindepth 1 ! -name README.md -delete
