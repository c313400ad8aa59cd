# photorestore: see README.  GNU make.
.SUFFIXES:

CC	?= cc
PREFIX	?= /usr/local
VARDIR	?= $(CURDIR)/var
BUILD	?= build
export VARDIR BUILD

WARN	 = -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wcast-qual
CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) \
	   -fvisibility=hidden -fstack-protector-strong -Ilib -I$(BUILD)
LDLIBS	 = -lfcgi -lsqlite3 -lpq -lcjson -lcrypto -lcurl -ljpeg -lpng -lexif \
	   -larchive -lcrypt -lm
# libpq-fe.h (Debian libpq-dev) lives in its own directory.
CFLAGS	+= -I/usr/include/postgresql

LIB_SRCS  = $(wildcard lib/*.c)
LIB_OBJS  = $(LIB_SRCS:lib/%.c=$(BUILD)/lib/%.o) $(BUILD)/lib/schema_sql.o
CGIS	  = auth users admin restore
CGI_BINS  = $(CGIS:%=$(BUILD)/cgi-bin/%.fcgi)
CLI_BIN	  = $(BUILD)/bin/photorestore
UNIT_SRCS = $(wildcard t/unit/*.c)
UNIT_BINS = $(UNIT_SRCS:t/unit/%.c=$(BUILD)/t/%)
HDRS	  = $(wildcard lib/*.h cli/*.h) t/tap.h

all: $(CGI_BINS) $(CLI_BIN) $(UNIT_BINS)

deps:
	@sh scripts/deps

$(BUILD)/lib/%.o: lib/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

# schema.sql is the single source of the schema; it is compiled in.
$(BUILD)/schema_sql.c: schema.sql scripts/embed.sh
	@mkdir -p $(@D)
	sh scripts/embed.sh schema_sql < schema.sql > $@

$(BUILD)/lib/schema_sql.o: $(BUILD)/schema_sql.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libcommon.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $(LIB_OBJS)

$(BUILD)/cgi-bin/%.fcgi: cgi-bin/%.c $(BUILD)/libcommon.a $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libcommon.a $(LDLIBS)

$(CLI_BIN): $(wildcard cli/*.c) $(BUILD)/libcommon.a $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(wildcard cli/*.c) $(BUILD)/libcommon.a $(LDLIBS)

$(BUILD)/t/%: t/unit/%.c $(BUILD)/libcommon.a $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -It -o $@ $< $(BUILD)/libcommon.a $(LDLIBS)

# Banned functions and habits (DEVELOPERS.md).
lint:
	@perl scripts/lint

mandoc-lint:
	@if ls man/*.[1-9] >/dev/null 2>&1; then mandoc -Tlint -W warning man/*.[1-9]; fi

test-deps:
	@sh scripts/deps test
	@if [ ! -d t/browser/node_modules ] && command -v npm >/dev/null; then \
		npm ci --prefix t/browser --no-audit --no-fund || \
		echo "npm ci failed: the browser tests will skip"; fi

test: test-deps all lint mandoc-lint
	prove -j2 t/

run: deps all
	@sh scripts/stack run

start: deps all
	@sh scripts/stack start

stop:
	@sh scripts/stack stop

clean:
	rm -rf build build-asan build-valgrind

# Evidence beyond the tests (see README): each target is a script.
asan:
	sh scripts/asan

valgrind:
	sh scripts/valgrind

fuzz:
	sh scripts/fuzz

bench: all
	sh scripts/bench
	perl scripts/bench-pg

bench-engine: all
	sh scripts/bench-engine

install: all
	sh scripts/install

uninstall:
	sh scripts/uninstall

.PHONY: asan valgrind fuzz bench bench-engine install uninstall
.PHONY: all deps test-deps lint mandoc-lint test run start stop clean
