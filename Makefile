# cutover: make lab (the console on the practice lab), make test.
GO      ?= go
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
LABDIR  ?= .lab
KEYS    ?= 200000
# make lab CLUSTER=1: cluster-mode source and a Redis Cluster target.
CLUSTER ?=

.PHONY: build lab test deps vet bench screenshots fuzz

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)

build:
	$(GO) build -ldflags "-X github.com/cutover/cutover/internal/cli.version=$(VERSION)" -o cutover .

# Real servers, the Redis exporter and tmux for the tests and the lab, from
# the OS packages (binary and package share their names).
deps:
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v redis-sentinel >/dev/null || missing="$$missing redis-sentinel"; \
	command -v redis-cli >/dev/null || missing="$$missing redis-tools"; \
	command -v prometheus-redis-exporter >/dev/null || missing="$$missing prometheus-redis-exporter"; \
	command -v tmux >/dev/null || missing="$$missing tmux"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

lab: deps build
	./cutover lab --dir $(LABDIR) --keys $(KEYS) $(if $(CLUSTER),--cluster)

vet:
	$(GO) vet ./...

test: deps vet
	$(GO) test -count=1 -timeout 30m ./...

bench: deps
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzReader -fuzztime 60s ./steps/rdb/

screenshots: deps build
	./scripts/screenshots.sh
