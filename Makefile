# The two commands of the README, and the steps they are made of.
#   make run   — set up this machine (idempotent) and run the gateway on its embedded default
#   make test  — set up this machine (idempotent) and run every test, end-to-end SIPp calls included, and the
#                store, desk and console suites a second time on PostgreSQL
# The production path beside them (README, "Running it as a service"):
#   make install   — release build, FHS layout, the system user, the systemd unit (DESTDIR, PREFIX honoured)
#   make uninstall — removes the program, its shared files and the unit; keeps configuration and data
SWIFT ?= swift
BIN := .build/debug/hotline1022

.PHONY: run test bootstrap build prompts bench-store bench-capacity clean release install uninstall

bootstrap:
	./scripts/bootstrap

build: bootstrap
	$(SWIFT) build --product hotline1022

prompts: build
	$(BIN) prompts build

# Serves the release build (issue 17 §5: a debug build stores about 19 drafts a second, a release build
# keeps up with a surge of callers).
run: bootstrap release
	$(RELEASE_BIN) prompts build
	$(RELEASE_BIN) serve

# Every test on SQLite, then the store, desk and console suites again on a real PostgreSQL 15 that the tests
# start themselves (initdb in a temporary folder, loopback only).
PG_SUITES := HotlineStoreTests|HotlineDeskTests|ConsoleTests
test: bootstrap
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	HOTLINE1022_TEST_STORE=postgres $(SWIFT) test --skip-build --filter '$(PG_SUITES)'

bench-store: bootstrap
	./scripts/bench-store

bench-capacity: bootstrap
	./scripts/bench-capacity

clean:
	rm -rf .build

# ------------------------------------------------------------------------------------------------
# Installation (FHS). DESTDIR stages into a folder (packaging, tests): then no user is created and
# nothing is chown'ed. Configuration files already present are never overwritten (edits survive an
# upgrade); the shipped copies are always refreshed under $(SHAREDIR).
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR := $(PREFIX)/bin
SHAREDIR := $(PREFIX)/share/hotline1022
DOCDIR := $(PREFIX)/share/doc/hotline1022
UNITDIR ?= $(PREFIX)/lib/systemd/system
CONFDIR ?= /etc/hotline1022
STATEDIR ?= /var/lib/hotline1022
SERVICE_USER ?= hotline1022
RELEASE_BIN := .build/release/hotline1022
# The binary to install; tests pass their debug build to skip the release build.
INSTALL_BIN ?= $(RELEASE_BIN)

release:
	$(SWIFT) build -c release --product hotline1022

install:
	@if [ "$(INSTALL_BIN)" = "$(RELEASE_BIN)" ]; then $(MAKE) --no-print-directory release; fi
	./scripts/install-layout install "$(DESTDIR)" "$(INSTALL_BIN)" "$(BINDIR)" "$(SHAREDIR)" "$(DOCDIR)" \
		"$(UNITDIR)" "$(CONFDIR)" "$(STATEDIR)" "$(SERVICE_USER)"

uninstall:
	./scripts/install-layout uninstall "$(DESTDIR)" "" "$(BINDIR)" "$(SHAREDIR)" "$(DOCDIR)" \
		"$(UNITDIR)" "$(CONFDIR)" "$(STATEDIR)" "$(SERVICE_USER)"
