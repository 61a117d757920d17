# Build every command as a static NativeAOT executable into command/ (like djb's /command),
# run the tests, install. See README.md.

PREFIX ?= /usr/local
SERVICE ?= /service
DESTDIR ?=
DOTNET ?= dotnet
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 2)

# One line per area, so that work on one area does not touch another's line.
CHAINLOAD = setuidgid envuidgid envdir softlimit setlock pgrphack fghack \
	tai64n tai64nlocal readproctitle
SUPERVISION = supervise svscan svc svok svstat svscanboot
MULTILOG = multilog
CDB = tcprules tcprulescheck cdbmake cdbdump cdbget
UCSPI_TCP = tcpserver rblsmtpd tcpclient recordio addcr delcr fixcrio argv0 \
	mconnect mconnect-io tcpcat date@ who@ finger@ http@
QMAIL = qmailctl
COMMANDS = $(CHAINLOAD) $(SUPERVISION) $(MULTILOG) $(CDB) $(UCSPI_TCP) $(QMAIL)

CORE = $(wildcard core/*.cs) core/native/startup.c core/Command.csproj Directory.Build.props
PUBLISH = $(DOTNET) publish core/Command.csproj -c Release --nologo -v:q \
	-p:NativeDebugSymbols=false

.PHONY: all test fuzz install uninstall clean bench demo
all: $(addprefix command/,$(COMMANDS))

.SECONDEXPANSION:
command/%: $$(firstword $$(wildcard daemontools/$$*.cs ucspi-tcp/$$*.cs qmail/$$*.cs)) $$(wildcard */$$*.*.cs) $(CORE)
	@echo "build $*"
	@# once more on failure: the ahead-of-time compiler has been seen to crash now and then
	@$(PUBLISH) -o command -p:Command=$* -p:CommandSource=$< >obj/$*.log 2>&1 || \
	  $(PUBLISH) -o command -p:Command=$* -p:CommandSource=$< >obj/$*.log 2>&1 || { cat obj/$*.log; exit 1; }
	@touch $@

# qmailctl has the service templates built in.
command/qmailctl: $(shell find service-templates -type f)

# svscanboot is a shell script pointing at the install prefix and the service directory.
command/svscanboot: daemontools/svscanboot.sh Makefile
	@mkdir -p command
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@SERVICE@|$(SERVICE)|g' $< >$@ && chmod 755 $@

# ucspi-tcp's client scripts: sh scripts that run the tcpclient installed beside them.
UCSPI_SCRIPTS = mconnect tcpcat date@ who@ finger@ http@
$(addprefix command/,$(UCSPI_SCRIPTS)): command/%: ucspi-tcp/scripts/%
	@mkdir -p command
	@{ echo '#!/bin/sh'; echo '# Generated from $<: runs the tcpclient in its own directory.'; \
	  echo 'bin=$${0%/*}; [ "$$bin" = "$$0" ] && bin=.'; cat $<; } >$@ && chmod 755 $@

$(addprefix command/,$(COMMANDS)): | obj
obj:
	@mkdir -p obj

# A test program built like the commands, reporting what the start-up layer does to the
# runtime (tests/StartupLayerTests.cs).
obj/probe/runtime-probe: tests/fixtures/runtime-probe.cs $(CORE) | obj
	@echo "build runtime-probe"
	@$(PUBLISH) -o obj/probe -p:Command=runtime-probe -p:CommandSource=$< >obj/runtime-probe.log 2>&1 || \
	  $(PUBLISH) -o obj/probe -p:Command=runtime-probe -p:CommandSource=$< >obj/runtime-probe.log 2>&1 || \
	  { cat obj/runtime-probe.log; exit 1; }
	@touch $@

# Debian's ucspi-tcp-ipv6, the reference for the IPv6 tests, conflicts with the installed
# ucspi-tcp: it is unpacked here instead of installed. If that fails the tests say so and fail.
REF_IPV6 = obj/ref/ucspi-tcp-ipv6

# The whole suite: xunit unit tests and black-box tests against the built commands and the
# Debian reference binaries. Ends with "N passed, N failed".
test: all obj/probe/runtime-probe $(REF_IPV6)
	@bash tests/run

# Only the differential fuzz tests (tests/DifferentialFuzzTests.cs), with CASES cases per area
# from SEED: `make fuzz CASES=5000 SEED=7`; AREA=Multilog (a test's name) for one area,
# FIRST=N to start at case N.
CASES ?= 1000
SEED ?= 20261202
FIRST ?= 0
FUZZED = multilog tcprules tcprulescheck cdbmake tai64nlocal envdir svstat
fuzz: $(addprefix command/,$(FUZZED))
	@FUZZ_CASES=$(CASES) FUZZ_SEED=$(SEED) FUZZ_FIRST=$(FIRST) $(DOTNET) test tests/Toolkit.Tests.csproj --nologo \
	  --filter "FullyQualifiedName~DifferentialFuzzTests$(if $(AREA),.$(AREA))" --logger "console;verbosity=normal"

$(REF_IPV6): | obj
	@rm -rf $@.tmp && mkdir -p $@.tmp
	@cd $@.tmp && apt-get download -q ucspi-tcp-ipv6 >/dev/null 2>&1 && dpkg -x ucspi-tcp-ipv6_*.deb tree && \
	  mv tree ../ucspi-tcp-ipv6 || echo "warning: could not fetch ucspi-tcp-ipv6 (apt-get update?)"
	@rm -rf $@.tmp

# The main job: a whole qmail service tree on the toolkit, without root (see qmail/demo).
demo: all
	@bash qmail/demo

bench: all
	@for b in bench/*; do [ -x $$b ] && { echo "== $$b"; bash $$b; }; done

# Like djb's package install: the programs under the prefix, /command and /usr/local/bin
# links to them, /service, and boot integration (a systemd unit running svscanboot; the classic
# inittab line is in the README).
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)/command $(DESTDIR)/usr/local/bin $(DESTDIR)/etc/systemd/system
	install -d -m 755 $(DESTDIR)$(SERVICE)
	for c in $(COMMANDS); do \
	  install -m 755 command/$$c $(DESTDIR)$(PREFIX)/bin/$$c; \
	  ln -sfn $(PREFIX)/bin/$$c $(DESTDIR)/command/$$c; \
	  [ $(PREFIX)/bin = /usr/local/bin ] || ln -sfn $(PREFIX)/bin/$$c $(DESTDIR)/usr/local/bin/$$c; \
	done
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@SERVICE@|$(SERVICE)|g' daemontools/svscanboot.sh \
	  > $(DESTDIR)$(PREFIX)/bin/svscanboot
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@SERVICE@|$(SERVICE)|g' daemontools/svscan.service \
	  > $(DESTDIR)/etc/systemd/system/svscan.service
	chmod 644 $(DESTDIR)/etc/systemd/system/svscan.service

uninstall:
	for c in $(COMMANDS); do \
	  rm -f $(DESTDIR)$(PREFIX)/bin/$$c $(DESTDIR)/command/$$c; \
	  [ $(PREFIX)/bin = /usr/local/bin ] || [ ! -L $(DESTDIR)/usr/local/bin/$$c ] || rm -f $(DESTDIR)/usr/local/bin/$$c; \
	done
	rm -f $(DESTDIR)/etc/systemd/system/svscan.service
	-rmdir $(DESTDIR)/command 2>/dev/null

clean:
	rm -rf command obj core/bin core/obj tests/bin tests/obj
