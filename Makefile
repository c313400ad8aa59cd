# photorestore: see README.  GNU make.
.SUFFIXES:

CC	?= cc
PREFIX	?= /usr/local
VARDIR	?= $(CURDIR)/var
export VARDIR

WARN	 = -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wcast-qual
CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) \
	   -fvisibility=hidden -fstack-protector-strong -Ilib -Ibuild
LDLIBS	 = -lfcgi -lsqlite3 -lcjson -lcrypto -lcurl -ljpeg -lpng -lexif \
	   -lcrypt -lm

LIB_SRCS  = $(wildcard lib/*.c)
LIB_OBJS  = $(LIB_SRCS:lib/%.c=build/lib/%.o) build/lib/schema_sql.o
CGIS	  = auth users admin restore
CGI_BINS  = $(CGIS:%=build/cgi-bin/%.fcgi)
CLI_BIN	  = build/bin/photorestore
UNIT_SRCS = $(wildcard t/unit/*.c)
UNIT_BINS = $(UNIT_SRCS:t/unit/%.c=build/t/%)
HDRS	  = $(wildcard lib/*.h) t/tap.h

all: $(CGI_BINS) $(CLI_BIN) $(UNIT_BINS)

deps:
	@sh scripts/deps

build/lib/%.o: lib/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

# schema.sql is the single source of the schema; it is compiled in.
build/schema_sql.c: schema.sql scripts/embed.sh
	@mkdir -p $(@D)
	sh scripts/embed.sh schema_sql < schema.sql > $@

build/lib/schema_sql.o: build/schema_sql.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

build/libcommon.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $(LIB_OBJS)

build/cgi-bin/%.fcgi: cgi-bin/%.c build/libcommon.a $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< build/libcommon.a $(LDLIBS)

$(CLI_BIN): cli/photorestore.c build/libcommon.a $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ cli/photorestore.c build/libcommon.a $(LDLIBS)

build/t/%: t/unit/%.c build/libcommon.a $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -It -o $@ $< build/libcommon.a $(LDLIBS)

# Banned functions and habits (DEVELOPERS.md).
lint:
	@perl scripts/lint

mandoc-lint:
	@if ls man/*.[1-9] >/dev/null 2>&1; then mandoc -Tlint -W warning man/*.[1-9]; fi

test-deps:
	@sh scripts/deps test

test: test-deps all lint mandoc-lint
	prove -j2 t/

run: deps all
	@sh scripts/stack run

start: deps all
	@sh scripts/stack start

stop:
	@sh scripts/stack stop

clean:
	rm -rf build

.PHONY: all deps test-deps lint mandoc-lint test run start stop clean
