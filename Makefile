# Conveniences over scripts/; the README's two commands work without make.
#
# `make install` puts Rapport in its FHS places; DESTDIR stages the tree for packagers and
# PREFIX moves the program's own files (the configuration stays in SYSCONFDIR, the state in
# STATEDIR). BIN picks the binary to install (default: a release build, made if missing).
# Shell completions come from the binary itself; man pages from swift-argument-parser's
# generate-manual plugin over the same definitions (`make man`; WITH_MAN=no skips them).
PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
STATEDIR ?= /var/lib/rapport
BINDIR = $(PREFIX)/bin
UNITDIR = $(PREFIX)/lib/systemd/system
SYSUSERSDIR = $(PREFIX)/lib/sysusers.d
TMPFILESDIR = $(PREFIX)/lib/tmpfiles.d
DATADIR = $(PREFIX)/share/rapport
TEMPLATEDIR = $(DATADIR)/templates
DOCDIR = $(PREFIX)/share/doc/rapport
CONFDIR = $(SYSCONFDIR)/rapport
MANDIR = $(PREFIX)/share/man/man1
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR = $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR = $(PREFIX)/share/fish/vendor_completions.d
BIN ?= .build/release/rapport
WITH_MAN ?= yes
MANPAGES = .build/man
MAN_DEP = $(if $(filter yes,$(WITH_MAN)),$(MANPAGES)/rapport.1)

.PHONY: demo test build release format lint clean install uninstall check-unit man bench bench-quick bench-store bench-backlog

# Benchmarks (release build; nginx-light, wrk, postfix, sqlite3 and time from Debian for the
# baselines): `make bench` writes BENCHMARKS.md; BENCH_ARGS passes options to Benchmarks/run.py.
BENCH_ARGS ?=
bench: release
	python3 Benchmarks/run.py $(BENCH_ARGS)

bench-quick: release
	python3 Benchmarks/run.py --sizes 10000,100000 --dispatch 20000 --backlog 50000 $(BENCH_ARGS)

# Memory while a backlog of a million generated customers' webhooks is sent (about 12
# minutes): writes BENCHMARKS-backlog.md.
bench-backlog: release
	python3 Benchmarks/run.py --only backlog --backlog 1000000 --out BENCHMARKS-backlog.md $(BENCH_ARGS)

# SQLite vs PostgreSQL (needs postgresql and nginx-light): writes BENCHMARKS-store.md.
bench-store: release
	python3 Benchmarks/run.py --only store --dispatch 20000 --out BENCHMARKS-store.md $(BENCH_ARGS)

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

build:
	swift build -Xswiftc -warnings-as-errors

release:
	swift build -c release --product rapport

.build/release/rapport:
	swift build -c release --product rapport

format:
	swift format --in-place --recursive Package.swift Sources Tests

lint:
	swift format lint --strict --recursive Package.swift Sources Tests

# One man page per command, generated from the argument parser's definitions.
man: $(MANPAGES)/rapport.1

$(MANPAGES)/rapport.1: Sources/rapport/*.swift
	mkdir -p $(MANPAGES)
	swift package --allow-writing-to-package-directory generate-manual --multi-page \
		--output-directory $(MANPAGES)

# systemd-analyze verify and security (fails above an exposure of 2.0).
check-unit:
	bash scripts/check-unit.sh

install: $(BIN) $(MAN_DEP)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) \
		$(DESTDIR)$(TEMPLATEDIR)/partials $(DESTDIR)$(DOCDIR) $(DESTDIR)$(CONFDIR) \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/rapport
	$(BIN) --generate-completion-script bash > $(DESTDIR)$(BASHCOMPDIR)/rapport
	$(BIN) --generate-completion-script zsh > $(DESTDIR)$(ZSHCOMPDIR)/_rapport
	$(BIN) --generate-completion-script fish > $(DESTDIR)$(FISHCOMPDIR)/rapport.fish
	chmod 0644 $(DESTDIR)$(BASHCOMPDIR)/rapport $(DESTDIR)$(ZSHCOMPDIR)/_rapport $(DESTDIR)$(FISHCOMPDIR)/rapport.fish
	$(if $(MAN_DEP),install -d $(DESTDIR)$(MANDIR) && install -m 0644 $(MANPAGES)/*.1 $(DESTDIR)$(MANDIR)/)
	sed -e 's|/usr/local/bin/rapport|$(BINDIR)/rapport|' -e 's|/etc/rapport|$(CONFDIR)|g' \
		-e 's|/usr/local/share/doc/rapport|$(DOCDIR)|' systemd/rapport.service > $(DESTDIR)$(UNITDIR)/rapport.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/rapport.service
	install -m 0644 systemd/rapport.sysusers $(DESTDIR)$(SYSUSERSDIR)/rapport.conf
	sed -e 's|/var/lib/rapport|$(STATEDIR)|' -e 's|/etc/rapport|$(CONFDIR)|' systemd/rapport.tmpfiles \
		> $(DESTDIR)$(TMPFILESDIR)/rapport.conf
	chmod 0644 $(DESTDIR)$(TMPFILESDIR)/rapport.conf
	install -m 0644 Templates/*.mustache $(DESTDIR)$(TEMPLATEDIR)/
	install -m 0644 Templates/partials/*.mustache $(DESTDIR)$(TEMPLATEDIR)/partials/
	install -m 0644 README.md docs/data.md docs/templates.md $(DESTDIR)$(DOCDIR)/
	sed -e 's|@STATEDIR@|$(STATEDIR)|g' -e 's|@TEMPLATEDIR@|$(TEMPLATEDIR)|g' systemd/rapport.toml.in \
		> $(DESTDIR)$(DATADIR)/rapport.toml.default
	chmod 0644 $(DESTDIR)$(DATADIR)/rapport.toml.default
	@# An existing configuration is the operator's: never overwritten.
	test -e $(DESTDIR)$(CONFDIR)/rapport.toml || \
		install -m 0644 $(DESTDIR)$(DATADIR)/rapport.toml.default $(DESTDIR)$(CONFDIR)/rapport.toml

# Removes what install put in place; a configuration the operator changed and the state in
# STATEDIR stay.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/rapport $(DESTDIR)$(UNITDIR)/rapport.service \
		$(DESTDIR)$(SYSUSERSDIR)/rapport.conf $(DESTDIR)$(TMPFILESDIR)/rapport.conf \
		$(DESTDIR)$(BASHCOMPDIR)/rapport $(DESTDIR)$(ZSHCOMPDIR)/_rapport $(DESTDIR)$(FISHCOMPDIR)/rapport.fish \
		$(DESTDIR)$(MANDIR)/rapport.1 $(DESTDIR)$(MANDIR)/rapport.*.1
	if [ -e $(DESTDIR)$(CONFDIR)/rapport.toml ] && \
		cmp -s $(DESTDIR)$(CONFDIR)/rapport.toml $(DESTDIR)$(DATADIR)/rapport.toml.default; then \
		rm -f $(DESTDIR)$(CONFDIR)/rapport.toml; fi
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)
	-rmdir $(DESTDIR)$(CONFDIR) 2>/dev/null

clean:
	rm -rf .build Examples/state
