# VoltRun — build, run, test. See README.md.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
GOLANGCI_VERSION := v2.15.0
TOOLS := $(CURDIR)/.tools
export CGO_ENABLED := 0

WEB_SRC := $(shell find web/app web/components web/lib web/public -type f 2>/dev/null) \
	web/package.json web/next.config.ts web/postcss.config.mjs web/tsconfig.json

# The sandbox inits the server embeds, rebuilt before every build that
# embeds them: cmd/voltrun-sandbox-init (Go; GOARCH picks its architecture)
# and cmd/voltrun-nsinit (C, static; NSINIT_CC picks the compiler).
INIT_BIN := cmd/voltrun/sandboxinit/voltrun-sandbox-init
NSINIT_BIN := cmd/voltrun/sandboxinit/voltrun-nsinit
NSINIT_CC ?= gcc
# release's compilers per architecture (Debian: gcc-aarch64-linux-gnu).
NSINIT_CC_amd64 ?= x86_64-linux-gnu-gcc
NSINIT_CC_arm64 ?= aarch64-linux-gnu-gcc
TAGS := -tags sandboxinit

.PHONY: build sandbox-init web run test test-go test-web test-e2e test-short lint bench release docker clean

build: web sandbox-init ## build bin/voltrun (static, with the dashboard and the sandbox init embedded)
	$(GO) build $(TAGS) -trimpath -ldflags '$(LDFLAGS)' -o bin/voltrun ./cmd/voltrun

sandbox-init: ## the sandbox inits embedded by the builds below (needs gcc and a static libc)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o $(INIT_BIN) ./cmd/voltrun-sandbox-init
	CC=$(NSINIT_CC) scripts/build-nsinit.sh $(NSINIT_BIN)

web/node_modules/.package-lock.json: web/package-lock.json
	npm --prefix web ci --no-audit --no-fund

web/out/index.html: web/node_modules/.package-lock.json $(WEB_SRC)
	npm --prefix web run build

web: web/out/index.html ## the dashboard's static export (Node >= 20.9 and npm)

run: build ## build and start the server on :8080 with embedded defaults
	./bin/voltrun server

test: test-go test-web test-e2e ## every test: Go (race detector, needs root for the sandboxes), dashboard unit and browser tests

test-go: sandbox-init ## go vet and the Go tests with the race detector
	$(GO) vet $(TAGS) ./...
	CGO_ENABLED=1 $(GO) test $(TAGS) -race -count=1 -timeout 20m ./...

test-web: web/node_modules/.package-lock.json ## dashboard type check, format check and unit tests
	npm --prefix web run typecheck
	npm --prefix web run lint
	npm --prefix web test

test-e2e: build ## the dashboard in a real browser (Chromium) against the real binary
	VOLTRUN_BIN=$(CURDIR)/bin/voltrun npm --prefix web run test:e2e

test-short: sandbox-init ## the quick tests only
	$(GO) test $(TAGS) -short -count=1 ./...

$(TOOLS)/golangci-lint-$(GOLANGCI_VERSION):
	mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)
	mv $(TOOLS)/golangci-lint $@

lint: $(TOOLS)/golangci-lint-$(GOLANGCI_VERSION) ## golangci-lint with .golangci.yml
	$(TOOLS)/golangci-lint-$(GOLANGCI_VERSION) run ./...

bench: sandbox-init ## benchmarks with same-run baselines (throughput with wrk when installed); figures go to docs/benchmarks.md
	$(GO) test $(TAGS) -run '^$$' -bench . -benchtime 2s -count 1 ./cmd/... ./internal/...

release: web ## dist/: static binaries for linux/amd64 and arm64 with SHA256SUMS
	rm -rf dist && mkdir -p dist
	for arch in amd64 arm64; do \
		cc=$(NSINIT_CC_amd64); [ $$arch = arm64 ] && cc=$(NSINIT_CC_arm64); \
		$(MAKE) --no-print-directory sandbox-init GOOS=linux GOARCH=$$arch NSINIT_CC=$$cc && \
		GOOS=linux GOARCH=$$arch $(GO) build $(TAGS) -trimpath -ldflags '$(LDFLAGS)' -o dist/voltrun-$(VERSION)-linux-$$arch ./cmd/voltrun || exit 1; \
	done
	$(MAKE) --no-print-directory sandbox-init
	cd dist && sha256sum voltrun-* > SHA256SUMS

docker: ## the container image (needs a Docker engine)
	docker build -f deploy/Dockerfile --build-arg VERSION=$(VERSION) -t voltrun:$(VERSION) .

clean:
	rm -rf bin $(TOOLS) web/.next web/node_modules
	find web/out -mindepth 1 ! -name .gitkeep -delete
