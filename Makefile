# Build every command as a static NativeAOT executable into command/ (like djb's /command),
# run the tests, install. See README.md.

PREFIX ?= /usr/local
DESTDIR ?=
DOTNET ?= dotnet
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 2)

# One line per area, so that work on one area does not touch another's line.
CHAINLOAD = setuidgid envuidgid envdir softlimit setlock pgrphack fghack \
	tai64n tai64nlocal readproctitle
SUPERVISION =
MULTILOG =
CDB = tcprules tcprulescheck cdbmake cdbdump cdbget
UCSPI_TCP = tcpserver rblsmtpd tcpclient recordio addcr delcr fixcrio argv0 \
	mconnect tcpcat date@ who@ finger@ http@
QMAIL =
COMMANDS = $(CHAINLOAD) $(SUPERVISION) $(MULTILOG) $(CDB) $(UCSPI_TCP) $(QMAIL)

CORE = $(wildcard core/*.cs) core/native/startup.c core/Command.csproj Directory.Build.props
PUBLISH = $(DOTNET) publish core/Command.csproj -c Release --nologo -v:q \
	-p:NativeDebugSymbols=false -o command

.PHONY: all test unit install uninstall clean bench
all: $(addprefix command/,$(COMMANDS))

.SECONDEXPANSION:
command/%: $$(firstword $$(wildcard daemontools/$$*.cs ucspi-tcp/$$*.cs qmail/$$*.cs)) $(CORE)
	@echo "build $*"
	@$(PUBLISH) -p:Command=$* -p:CommandSource=$< >obj/$*.log 2>&1 || { cat obj/$*.log; exit 1; }
	@touch $@

# ucspi-tcp's client scripts: sh scripts that run the tcpclient installed beside them.
UCSPI_SCRIPTS = mconnect tcpcat date@ who@ finger@ http@
$(addprefix command/,$(UCSPI_SCRIPTS)): command/%: ucspi-tcp/scripts/%
	@mkdir -p command
	@{ echo '#!/bin/sh'; echo '# Generated from $<: runs the tcpclient in its own directory.'; \
	  echo 'bin=$${0%/*}; [ "$$bin" = "$$0" ] && bin=.'; cat $<; } >$@ && chmod 755 $@

$(addprefix command/,$(COMMANDS)): | obj
obj:
	@mkdir -p obj

# The whole suite: xunit unit tests and black-box tests against the built commands and the
# Debian reference binaries. Ends with "N passed, N failed".
test: all
	@bash tests/run

bench: all
	@bash bench/startup

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	for c in $(COMMANDS); do install -m 755 command/$$c $(DESTDIR)$(PREFIX)/bin/$$c; done

uninstall:
	for c in $(COMMANDS); do rm -f $(DESTDIR)$(PREFIX)/bin/$$c; done

clean:
	rm -rf command obj core/bin core/obj tests/bin tests/obj
