# Build the toolkit, one static NativeAOT executable holding every program, into command/ (like
# djb's /command) with each command a link to it; run the tests, install. See README.md.

PREFIX ?= /usr/local
SERVICE ?= /service
DESTDIR ?=
DOTNET ?= dotnet
# Parallel by default; a sub-make shares its parent's jobs.
ifeq ($(MAKELEVEL),0)
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 2)
endif

# The programs inside the executable (core/multicall/toolkit.cs has the same list), one line per
# area, so that work on one area does not touch another's line. qmailctl is an executable of its
# own (core/Toolkit.csproj says why).
CHAINLOAD = setuidgid envuidgid envdir softlimit setlock pgrphack fghack \
	tai64n tai64nlocal readproctitle
SUPERVISION = supervise svscan svc svok svstat svwait
MULTILOG = multilog
CDB = tcprules tcprulescheck cdbmake cdbdump cdbget
UCSPI_TCP = tcpserver rblsmtpd tcpclient recordio addcr delcr fixcrio argv0 mconnect-io
PROGRAMS = $(CHAINLOAD) $(SUPERVISION) $(MULTILOG) $(CDB) $(UCSPI_TCP)
# The TLS programs: links to an executable of their own, command/tls (dynamically linked for
# OpenSSL; core/Toolkit.csproj says why).
TLS = tlsd starttlsd
# Shell scripts: svscanboot, and ucspi-tcp's clients built on tcpclient.
UCSPI_SCRIPTS = mconnect tcpcat date@ who@ finger@ http@
SCRIPTS = svscanboot $(UCSPI_SCRIPTS)
COMMANDS = $(PROGRAMS) $(TLS) qmailctl $(SCRIPTS)
# Where make install puts the executable; the commands in $(PREFIX)/bin are links to it.
LIBDIR = $(PREFIX)/lib/daemontools-cs
# Man pages, made from docs/ by go-md2man: daemontools' programs and qmailctl in section 8, the
# ucspi-tcp and cdb ones in section 1, as Debian has them.
MAN8 = $(CHAINLOAD) $(SUPERVISION) $(MULTILOG) svscanboot qmailctl
MAN1 = $(CDB) $(UCSPI_TCP) $(UCSPI_SCRIPTS) $(TLS)
MANPAGES = $(MAN8:%=obj/man/man8/%.8) $(MAN1:%=obj/man/man1/%.1)

# The version of the man pages and of the Debian package (make deb).
VERSION = 1.0
# The date of the man pages and the package's changelog, and the time stamp of the package's
# files: the last commit's, so that the same tree gives the same files.
ifeq ($(origin SOURCE_DATE_EPOCH),undefined)
SOURCE_DATE_EPOCH := $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
endif
# The package's maintainer: the last commit's author, unless given.
MAINTAINER ?= $(shell git log -1 --format='%an <%ae>' 2>/dev/null)
DEB = obj/daemontools-cs_$(VERSION)_amd64.deb
# The systemd unit running svscan, which stops the tree in order (the package's is named as Debian's, see deb/build).
UNITDIR = /etc/systemd/system
UNIT = svscan.service

CORE = $(wildcard core/*.cs) core/native/startup.c core/Toolkit.csproj Directory.Build.props
SOURCES = $(CORE) $(wildcard core/multicall/*.cs daemontools/*.cs ucspi-tcp/*.cs)
PUBLISH = $(DOTNET) publish core/Toolkit.csproj -c Release --nologo -v:q \
	-p:NativeDebugSymbols=false

.PHONY: all test fuzz install install-files uninstall clean bench demo man deb need-go-md2man
all: $(addprefix command/,toolkit tls $(COMMANDS))

command/toolkit: $(SOURCES) | obj
	@echo "build toolkit"
	@# once more on failure: the ahead-of-time compiler has been seen to crash now and then
	@$(PUBLISH) -o command -p:Command=toolkit >obj/toolkit.log 2>&1 || \
	  $(PUBLISH) -o command -p:Command=toolkit >obj/toolkit.log 2>&1 || { cat obj/toolkit.log; exit 1; }
	@touch $@

# The executable as a prerequisite, so that a command left as an executable of its own by an
# older build becomes a link.
$(addprefix command/,$(PROGRAMS)): command/toolkit
	@ln -sfn toolkit $@

command/tls: $(CORE) $(wildcard tls/*.cs) | obj
	@echo "build tls"
	@$(PUBLISH) -o command -p:Command=tls >obj/tls.log 2>&1 || \
	  $(PUBLISH) -o command -p:Command=tls >obj/tls.log 2>&1 || { cat obj/tls.log; exit 1; }
	@touch $@

$(addprefix command/,$(TLS)): command/tls
	@ln -sfn tls $@

# qmailctl has the service templates built in.
command/qmailctl: $(wildcard qmail/qmailctl*.cs) $(CORE) $(shell find service-templates -type f) | obj
	@echo "build qmailctl"
	@$(PUBLISH) -o command -p:Command=qmailctl -p:CommandSource=qmail/qmailctl.cs >obj/qmailctl.log 2>&1 || \
	  $(PUBLISH) -o command -p:Command=qmailctl -p:CommandSource=qmail/qmailctl.cs >obj/qmailctl.log 2>&1 || \
	  { cat obj/qmailctl.log; exit 1; }
	@touch $@

# svscanboot is a shell script pointing at the install prefix and the service directory.
command/svscanboot: daemontools/svscanboot.sh Makefile
	@mkdir -p command
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@SERVICE@|$(SERVICE)|g' $< >$@ && chmod 755 $@

# ucspi-tcp's client scripts: sh scripts that run the tcpclient installed beside them.
$(addprefix command/,$(UCSPI_SCRIPTS)): command/%: ucspi-tcp/scripts/%
	@mkdir -p command
	@{ echo '#!/bin/sh'; echo '# Generated from $<: runs the tcpclient in its own directory.'; \
	  echo 'bin=$${0%/*}; [ "$$bin" = "$$0" ] && bin=.'; cat $<; } >$@ && chmod 755 $@

obj:
	@mkdir -p obj

# The man pages: docs/manpage gives each page of docs/ a title, NAME and SYNOPSIS, go-md2man
# (small, where pandoc is large) turns it into roff. Not part of all: make and make demo need
# no more than the .NET SDK, gcc and make.
man: $(MANPAGES)
manpage = @mkdir -p $(@D) && MAN8='$(MAN8)' sh docs/manpage $* $(patsubst .%,%,$(suffix $@)) $(VERSION) \
	$(shell date -u -d @$(SOURCE_DATE_EPOCH) +%Y-%m-%d) <$< >$@.md && go-md2man -in $@.md -out $@ && rm $@.md
obj/man/man8/%.8: docs/%.md docs/manpage Makefile | need-go-md2man
	$(manpage)
obj/man/man1/%.1: docs/%.md docs/manpage Makefile | need-go-md2man
	$(manpage)
need-go-md2man:
	@command -v go-md2man >/dev/null || \
	  { echo "the man pages need go-md2man: apt-get install go-md2man" >&2; exit 1; }

# A test program built like the commands, reporting what the start-up layer does to the
# runtime (tests/StartupLayerTests.cs).
obj/probe/runtime-probe: tests/fixtures/runtime-probe.cs $(CORE) | obj
	@echo "build runtime-probe"
	@$(PUBLISH) -o obj/probe -p:Command=runtime-probe -p:CommandSource=$< >obj/runtime-probe.log 2>&1 || \
	  $(PUBLISH) -o obj/probe -p:Command=runtime-probe -p:CommandSource=$< >obj/runtime-probe.log 2>&1 || \
	  { cat obj/runtime-probe.log; exit 1; }
	@touch $@

# The whole suite: xunit unit tests and black-box tests against the built commands and the
# Debian reference binaries. Ends with "N passed, N failed". tests/setup first installs the
# Debian packages the tests need (as root; otherwise it names them).
test:
	@bash tests/setup
	@$(MAKE) --no-print-directory all obj/probe/runtime-probe
	@bash tests/run

# Only the differential fuzz tests (tests/DifferentialFuzzTests.cs), with CASES cases per area
# from SEED: `make fuzz CASES=5000 SEED=7`; AREA=Multilog (a test's name) for one area,
# FIRST=N to start at case N.
CASES ?= 1000
SEED ?= 20261202
FIRST ?= 0
fuzz: all
	@bash tests/setup
	@FUZZ_CASES=$(CASES) FUZZ_SEED=$(SEED) FUZZ_FIRST=$(FIRST) $(DOTNET) test tests/Toolkit.Tests.csproj --nologo \
	  --filter "FullyQualifiedName~DifferentialFuzzTests$(if $(AREA),.$(AREA))" --logger "console;verbosity=normal"

# The main job: a whole qmail service tree on the toolkit, without root (see qmail/demo).
demo: all
	@bash qmail/demo

# Every bench in bench/, side by side with Debian's programs; stops at the first that cannot run
# or cannot measure (each names what it misses).
bench: all
	@for b in bench/*; do [ -x $$b ] || continue; echo "== $$b"; bash $$b || exit 1; done

# Like djb's package install: the commands under the prefix (links to the executable in
# $(LIBDIR), and the scripts), /command and /usr/local/bin links to them, /service, the man
# pages, and boot integration (a systemd unit running svscan; the classic inittab line with
# svscanboot is in the README).
install: all man
	@$(MAKE) --no-print-directory install-files
	install -d $(DESTDIR)/command $(DESTDIR)/usr/local/bin
	for c in $(COMMANDS); do \
	  ln -sfn $(PREFIX)/bin/$$c $(DESTDIR)/command/$$c; \
	  [ $(PREFIX)/bin = /usr/local/bin ] || ln -sfn $(PREFIX)/bin/$$c $(DESTDIR)/usr/local/bin/$$c; \
	done

# What make install and make deb share: the built executable, links, scripts and man pages
# under $(DESTDIR)$(PREFIX), $(SERVICE), and the unit.
install-files:
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(UNITDIR)
	install -d -m 755 $(DESTDIR)$(SERVICE)
	install -m 755 command/toolkit command/tls $(DESTDIR)$(LIBDIR)/
	for c in $(PROGRAMS); do ln -sfn $$(realpath -m --relative-to=$(PREFIX)/bin $(LIBDIR))/toolkit $(DESTDIR)$(PREFIX)/bin/$$c; done
	for c in $(TLS); do ln -sfn $$(realpath -m --relative-to=$(PREFIX)/bin $(LIBDIR))/tls $(DESTDIR)$(PREFIX)/bin/$$c; done
	for c in qmailctl $(UCSPI_SCRIPTS); do install -m 755 command/$$c $(DESTDIR)$(PREFIX)/bin/$$c; done
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@SERVICE@|$(SERVICE)|g' daemontools/svscanboot.sh \
	  > $(DESTDIR)$(PREFIX)/bin/svscanboot
	chmod 755 $(DESTDIR)$(PREFIX)/bin/svscanboot
	for p in $(MANPAGES); do \
	  gzip -9n <$$p >$(DESTDIR)$(PREFIX)/share/man/$${p#obj/man/}.gz && \
	  chmod 644 $(DESTDIR)$(PREFIX)/share/man/$${p#obj/man/}.gz || exit 1; \
	done
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@SERVICE@|$(SERVICE)|g' daemontools/svscan.service \
	  > $(DESTDIR)$(UNITDIR)/$(UNIT)
	chmod 644 $(DESTDIR)$(UNITDIR)/$(UNIT)

uninstall:
	for c in $(COMMANDS); do \
	  rm -f $(DESTDIR)$(PREFIX)/bin/$$c $(DESTDIR)/command/$$c; \
	  [ $(PREFIX)/bin = /usr/local/bin ] || [ ! -L $(DESTDIR)/usr/local/bin/$$c ] || rm -f $(DESTDIR)/usr/local/bin/$$c; \
	done
	for p in $(MANPAGES); do rm -f $(DESTDIR)$(PREFIX)/share/man/$${p#obj/man/}.gz; done
	rm -f $(DESTDIR)$(LIBDIR)/toolkit $(DESTDIR)$(LIBDIR)/tls $(DESTDIR)$(UNITDIR)/$(UNIT)
	-rmdir $(DESTDIR)$(LIBDIR) $(DESTDIR)/command 2>/dev/null

# The Debian package, built with dpkg-deb alone (README, "Debian package"): the files as
# make install puts them under /usr with /etc/service, the unit as Debian's daemontools-run
# has it, and what deb/build adds.
deb: $(DEB)
$(DEB): $(addprefix command/,toolkit tls $(COMMANDS)) $(MANPAGES) $(wildcard deb/*) daemontools/svscan.service
	@rm -rf obj/deb
	@$(MAKE) -s --no-print-directory install-files DESTDIR=$(CURDIR)/obj/deb PREFIX=/usr SERVICE=/etc/service \
	  UNITDIR=/lib/systemd/system UNIT=daemontools-run.service
	@VERSION=$(VERSION) MAINTAINER='$(MAINTAINER)' SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) sh deb/build obj/deb $@

clean:
	rm -rf command obj core/bin core/obj tests/bin tests/obj
