# VoltRun — build, run, test. See README.md.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
GOLANGCI_VERSION := v2.15.0
TOOLS := $(CURDIR)/.tools
export CGO_ENABLED := 0

.PHONY: build run test test-short lint bench clean tools

build: ## build bin/voltrun (static)
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/voltrun ./cmd/voltrun

run: build ## build and start the server on :8080 with embedded defaults
	./bin/voltrun server

test: ## vet and run every test with the race detector (needs root for the sandbox suites)
	$(GO) vet ./...
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 20m ./...

test-short: ## the quick tests only
	$(GO) test -short -count=1 ./...

$(TOOLS)/golangci-lint-$(GOLANGCI_VERSION):
	mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)
	mv $(TOOLS)/golangci-lint $@

lint: $(TOOLS)/golangci-lint-$(GOLANGCI_VERSION) ## golangci-lint with .golangci.yml
	$(TOOLS)/golangci-lint-$(GOLANGCI_VERSION) run ./...

bench: ## benchmarks with same-run baselines; figures go to docs/benchmarks.md
	$(GO) test -run '^$$' -bench . -benchtime 2s -count 1 ./cmd/... ./internal/...

clean:
	rm -rf bin $(TOOLS)
