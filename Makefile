# health-sync — GNU Make + pkg-config.  `make` builds build/health-sync;
# `make check` runs every test (plain, then under ASan+UBSan); `make demo`
# runs a real sync against the bundled fake providers.

VERSION   := 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
DESTDIR   ?=
BUILD     ?= build
CC        ?= cc
PKGS      := libcurl sqlite3 jansson libcrypto libmicrohttpd libxml-2.0 libarchive
TEST_PKGS := cmocka

# SAN=1 builds an AddressSanitizer + UndefinedBehaviorSanitizer variant.
comma     := ,
SANFLAGS  := $(if $(SAN),-fsanitize=address$(comma)undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
OPT       := $(if $(SAN),-O1,-O2)
CFLAGS    ?= $(OPT) -g
CFLAGS    += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
             -Wno-missing-field-initializers -Isrc -Isrc/sync -Isrc/providers -Isrc/import \
             -DHS_VERSION='"$(VERSION)"' $(SANFLAGS) $(shell pkg-config --cflags $(PKGS))
LDFLAGS   += $(SANFLAGS)
LIBS      := $(shell pkg-config --libs $(PKGS)) -lpthread -lm
TEST_LIBS := $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)

LIB_SRC   := $(filter-out src/main.c,$(wildcard src/*.c src/sync/*.c src/providers/*.c src/import/*.c src/report/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
FAKE_SRC  := $(wildcard tests/fake/*.c)
FAKE_OBJ  := $(FAKE_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
DEPS      := $(LIB_OBJ:.o=.d) $(FAKE_OBJ:.o=.d) $(BUILD)/obj/src/main.d \
             $(BUILD)/obj/tests/bench/floor.d $(BUILD)/obj/tools/toml-decode.d \
             $(BUILD)/obj/tests/toml-suite.d $(UNIT_SRC:tests/unit/%.c=$(BUILD)/obj/tests/unit/%.d)

PROGRAMS  := $(BUILD)/health-sync $(BUILD)/toml-decode
TEST_PROGRAMS := $(BUILD)/fake-provider $(BUILD)/toml-suite $(BUILD)/bench-floor $(UNIT_BIN)

.PHONY: all check test-programs demo bench bench-apple install uninstall clean deps fuzz check-valgrind format
all: $(PROGRAMS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# The program's own sources cannot call what src/banned.h bans.
$(LIB_OBJ) $(BUILD)/obj/src/main.o: CFLAGS += -include src/banned.h

$(BUILD)/libhs.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/health-sync: $(BUILD)/obj/src/main.o $(BUILD)/libhs.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/toml-decode: $(BUILD)/obj/tools/toml-decode.o $(BUILD)/libhs.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/toml-suite: $(BUILD)/obj/tests/toml-suite.o $(BUILD)/libhs.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/bench-floor: $(BUILD)/obj/tests/bench/floor.o $(BUILD)/libhs.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/fake-provider: $(FAKE_OBJ) $(BUILD)/libhs.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(TEST_LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/libhs.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(TEST_LIBS)

test-programs: $(PROGRAMS) $(TEST_PROGRAMS)

deps:
	@scripts/install-deps

# Every test, plain and then sanitized; the last line is "N passed, N failed".
check: deps
	@scripts/check

demo: deps
	@$(MAKE) --no-print-directory all $(BUILD)/fake-provider
	@scripts/demo

bench: deps
	@$(MAKE) --no-print-directory all $(BUILD)/fake-provider $(BUILD)/bench-floor
	@scripts/bench

# The Apple Health part of `make bench` alone.
bench-apple: deps
	@$(MAKE) --no-print-directory all
	@scripts/bench-apple-health

# libFuzzer targets (clang): FUZZ_SECONDS per target, default 60.
fuzz: deps
	@scripts/fuzz

# The integration suite with the binary under valgrind (memcheck).
check-valgrind: deps
	@$(MAKE) --no-print-directory test-programs
	@HEALTH_SYNC_VALGRIND=1 scripts/run-tests $(BUILD)

install: $(BUILD)/health-sync
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(BUILD)/health-sync $(DESTDIR)$(BINDIR)/health-sync
	install -m 0644 man/health-sync.1 $(DESTDIR)$(MANDIR)/man1/
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions
	install -m 0644 contrib/completion/health-sync.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/health-sync
	install -m 0644 contrib/completion/_health-sync $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_health-sync

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/health-sync $(DESTDIR)$(MANDIR)/man1/health-sync.1 \
	      $(DESTDIR)$(PREFIX)/share/bash-completion/completions/health-sync \
	      $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_health-sync

format:
	clang-format -i src/*.[ch] src/sync/*.[ch] src/providers/*.[ch] src/import/*.[ch] src/report/*.[ch] tests/*/*.[ch] tools/*.c

clean:
	rm -rf build

-include $(DEPS)
