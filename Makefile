# The two entry points a newcomer needs; everything else is plain CMake presets.
#   make run   installs what is missing, builds (release) and runs the daemon on config/weft.yaml
#   make test  installs what is missing, builds (dev) and runs the whole test suite
.PHONY: run test build bench docs clean

run:
	./scripts/install-deps.sh
	cmake --preset release >/dev/null
	cmake --build --preset release --target weft
	./build/release/src/cli/weft run --config config/weft.yaml

test:
	./scripts/install-deps.sh
	cmake --preset dev >/dev/null
	cmake --build --preset dev
	ctest --preset dev -j2

build:
	cmake --preset release >/dev/null
	cmake --build --preset release --target weft

bench:
	./scripts/install-deps.sh
	./bench/run.sh
	./bench/delivery.sh
	./bench/mapper.sh
	./bench/webhook.sh
	./bench/rest.sh
	./bench/cdc.sh
	./bench/files.sh
	./bench/kafka.sh

docs: build
	./build/release/src/cli/weft spec --markdown docs/connectors

clean:
	rm -rf build
