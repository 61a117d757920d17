# Build the toolkit, one static NativeAOT executable holding every program, into command/ (like
# djb's /command) with each command a link to it; run the tests, install. See README.md.

PREFIX ?= /usr/local
SERVICE ?= /service
DESTDIR ?=
DOTNET ?= dotnet
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 2)

# The programs inside the executable (core/multicall/toolkit.cs has the same list), one line per
# area, so that work on one area does not touch another's line. qmailctl is an executable of its
# own (core/Toolkit.csproj says why).
CHAINLOAD = setuidgid envuidgid envdir softlimit setlock pgrphack fghack \
	tai64n tai64nlocal readproctitle
SUPERVISION = supervise svscan svc svok svstat
MULTILOG = multilog
CDB = tcprules tcprulescheck cdbmake cdbdump cdbget
UCSPI_TCP = tcpserver rblsmtpd tcpclient recordio addcr delcr fixcrio argv0 mconnect-io
PROGRAMS = $(CHAINLOAD) $(SUPERVISION) $(MULTILOG) $(CDB) $(UCSPI_TCP)
# Shell scripts: svscanboot, and ucspi-tcp's clients built on tcpclient.
UCSPI_SCRIPTS = mconnect tcpcat date@ who@ finger@ http@
SCRIPTS = svscanboot $(UCSPI_SCRIPTS)
COMMANDS = $(PROGRAMS) qmailctl $(SCRIPTS)
# Where make install puts the executable; the commands in $(PREFIX)/bin are links to it.
LIBDIR = $(PREFIX)/lib/daemontools-cs

CORE = $(wildcard core/*.cs) core/native/startup.c core/Toolkit.csproj Directory.Build.props
SOURCES = $(CORE) $(wildcard core/multicall/*.cs daemontools/*.cs ucspi-tcp/*.cs)
PUBLISH = $(DOTNET) publish core/Toolkit.csproj -c Release --nologo -v:q \
	-p:NativeDebugSymbols=false

.PHONY: all test install uninstall clean bench demo
all: $(addprefix command/,toolkit $(COMMANDS))

command/toolkit: $(SOURCES) | obj
	@echo "build toolkit"
	@# once more on failure: the ahead-of-time compiler has been seen to crash now and then
	@$(PUBLISH) -o command -p:Command=toolkit >obj/toolkit.log 2>&1 || \
	  $(PUBLISH) -o command -p:Command=toolkit >obj/toolkit.log 2>&1 || { cat obj/toolkit.log; exit 1; }
	@touch $@

$(addprefix command/,$(PROGRAMS)): | command/toolkit
	@ln -sfn toolkit $@

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

# The main job: a whole qmail service tree on the toolkit, without root (see qmail/demo).
demo: all
	@bash qmail/demo

bench: all
	@for b in bench/*; do [ -x $$b ] && { echo "== $$b"; bash $$b; }; done

# Like djb's package install: the commands under the prefix (links to the executable in
# $(LIBDIR), and the scripts), /command and /usr/local/bin links to them, /service, and boot
# integration (a systemd unit running svscanboot; the classic inittab line is in the README).
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBDIR) $(DESTDIR)/command $(DESTDIR)/usr/local/bin \
	  $(DESTDIR)/etc/systemd/system
	install -d -m 755 $(DESTDIR)$(SERVICE)
	install -m 755 command/toolkit $(DESTDIR)$(LIBDIR)/toolkit
	for c in $(PROGRAMS); do ln -sfn $$(realpath -m --relative-to=$(PREFIX)/bin $(LIBDIR))/toolkit $(DESTDIR)$(PREFIX)/bin/$$c; done
	for c in qmailctl $(UCSPI_SCRIPTS); do install -m 755 command/$$c $(DESTDIR)$(PREFIX)/bin/$$c; done
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@SERVICE@|$(SERVICE)|g' daemontools/svscanboot.sh \
	  > $(DESTDIR)$(PREFIX)/bin/svscanboot
	chmod 755 $(DESTDIR)$(PREFIX)/bin/svscanboot
	for c in $(COMMANDS); do \
	  ln -sfn $(PREFIX)/bin/$$c $(DESTDIR)/command/$$c; \
	  [ $(PREFIX)/bin = /usr/local/bin ] || ln -sfn $(PREFIX)/bin/$$c $(DESTDIR)/usr/local/bin/$$c; \
	done
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@SERVICE@|$(SERVICE)|g' daemontools/svscan.service \
	  > $(DESTDIR)/etc/systemd/system/svscan.service
	chmod 644 $(DESTDIR)/etc/systemd/system/svscan.service

uninstall:
	for c in $(COMMANDS); do \
	  rm -f $(DESTDIR)$(PREFIX)/bin/$$c $(DESTDIR)/command/$$c; \
	  [ $(PREFIX)/bin = /usr/local/bin ] || [ ! -L $(DESTDIR)/usr/local/bin/$$c ] || rm -f $(DESTDIR)/usr/local/bin/$$c; \
	done
	rm -f $(DESTDIR)$(LIBDIR)/toolkit $(DESTDIR)/etc/systemd/system/svscan.service
	-rmdir $(DESTDIR)$(LIBDIR) $(DESTDIR)/command 2>/dev/null

clean:
	rm -rf command obj core/bin core/obj tests/bin tests/obj
