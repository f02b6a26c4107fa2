# Conveniences over scripts/; the README's two commands work without make.
PREFIX ?= /usr/local

.PHONY: demo test build release format lint clean

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

build:
	swift build -Xswiftc -warnings-as-errors

release:
	swift build -c release --product rapport

format:
	swift format --in-place --recursive Package.swift Sources Tests

lint:
	swift format lint --strict --recursive Package.swift Sources Tests

clean:
	rm -rf .build Examples/state
