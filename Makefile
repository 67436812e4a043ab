# Oxios — two commands do everything on a fresh Debian 12 machine:
#
#   make run    install missing packages, build, start the daemon in
#               the foreground (Ctrl-C stops it)
#   make test   install missing packages, build, run every test layer
#
# `make` alone builds build/oxios.  See HACKING.md for the rest.

BUILD ?= build

.PHONY: all run test deps format check-format clean

all: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD)

deps:
	@sh scripts/deps.sh

run: all
	$(BUILD)/oxios start --foreground

test: deps
	/usr/bin/python3 tests/run

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

check-format:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-fuzz
