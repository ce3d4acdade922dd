# Posthouse: `make run` and `make test` are the way in (see README.md).
SHELL := /bin/bash
JOBS ?= $(shell nproc)
BUILD ?= build/release
TBUILD ?= build/asan
DATA ?= var/dev
export CCACHE_DIR ?= $(HOME)/.cache/ccache
export CCACHE_BASEDIR := $(CURDIR)
# Build dirs of other checkouts (worktrees) share cache entries only when the cwd is not hashed.
export CCACHE_NOHASHDIR := true
# Precompiled headers are only cacheable with this sloppiness (ccache manual, "Precompiled headers").
export CCACHE_SLOPPINESS := pch_defines,time_macros,include_file_mtime,include_file_ctime

.PHONY: all deps build build-test build-web run test bench fuzz soak format clean

all: build

deps:
	@scripts/install-deps

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

$(TBUILD)/build.ninja:
	cmake -S . -B $(TBUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPOSTHOUSE_SANITIZE=ON

build: deps $(BUILD)/build.ninja build-web
	@ninja -C $(BUILD) -j $(JOBS) posthouse

build-test: deps $(TBUILD)/build.ninja build-web tests/e2e/node_modules/.package-lock.json
	@ninja -C $(TBUILD) -j $(JOBS)

# The web panel (web/README.md): npm install only when the lock file changed, vite only when a
# source changed, so a no-op build costs two stat()s.
WEB_SRC := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.js

# From the committed lock, without rewriting it. Not `npm ci`: npm 11 leaves rollup's
# other-platform optional packages out of web/'s lock and then refuses it as out of sync.
NPM_INSTALL := npm install --no-save --no-audit --no-fund --loglevel=error

build-web: web/dist/index.html

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && $(NPM_INSTALL)
	@touch $@

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SRC)
	cd web && npm run --silent build -- --logLevel warn
	@touch $@

tests/e2e/node_modules/.package-lock.json: tests/e2e/package-lock.json
	cd tests/e2e && $(NPM_INSTALL)
	@touch $@

run: build
	@if [ ! -f $(DATA)/posthouse.toml ]; then $(BUILD)/posthouse init --data $(DATA) --hostname localhost; fi
	exec $(BUILD)/posthouse serve --data $(DATA)

test: build-test
	@scripts/run-tests $(TBUILD)

# Posthouse side by side with Dovecot and Postfix (bench/README.md); not part of `make test`.
bench: build
	@bench/install
	@python3 -u bench/run.py --bin $(BUILD)/posthouse

# Fuzzes every parser for FUZZ_SECONDS each (default 60).
fuzz: deps
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-60} tests/fuzz/run_corpus.sh

# Long reliability run (tests/reliability, tests/fuzz): SOAK_KILLS SIGKILLs (default 200),
# SOAK_FAULT_ROUNDS fault-injection rounds (5), every fuzz target for SOAK_FUZZ_SECONDS (30); prints figures.
soak: build-test
	@scripts/soak $(TBUILD)

format:
	@find src -name '*.cc' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf build
