# acquire-zarr developer entry points. `make help` lists the targets.
#
# Works on a fresh Debian bookworm machine as root: `make test` and `make demo`
# install the missing system packages, create .venv in the checkout, build and
# install the Python package into it, then run.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

# Parallelism for every CMake build (also used by scikit-build-core).
NPROC := $(shell nproc 2>/dev/null || echo 2)
export CMAKE_BUILD_PARALLEL_LEVEL ?= $(NPROC)

# --- system packages (Debian) ------------------------------------------------
APT_PACKAGES := libblosc-dev nlohmann-json3-dev libzstd-dev libisal-dev libyaml-dev \
	libcurl4-openssl-dev libpugixml-dev pkg-config ninja-build cmake g++ \
	python3 python3-venv python3-dev \
	swift-proxy swift-object swift-container swift-account
CMAKE_MIN_VERSION := 3.21

# --- Python environment ------------------------------------------------------
PYTHON ?= python3
VENV := $(ROOT)/.venv
VPY := $(VENV)/bin/python
# s3fs (zarr-python's S3 reader in the tests) needs aiobotocore, which pins
# botocore: without the bounds pip settles on a years-old s3fs instead.
VENV_REQUIREMENTS := numpy pybind11 scikit-build-core pytest hypothesis "zarr>=3" tensorstore tifffile "dask[array]" tqdm \
	ome-zarr-models pyyaml "moto[server]" "boto3<1.44" "s3fs>=2026.9"
VENV_STAMP := $(VENV)/.aqz-requirements
# Others may install into the same venv concurrently: serialise every pip call.
PIP := flock /tmp/aqz-venv.lock $(VPY) -m pip --disable-pip-version-check

# --- AddressSanitizer + UndefinedBehaviorSanitizer ---------------------------
ASAN_PY_BUILD_DIR := build/python-asan
# The ASan build of the module is installed here and put first on PYTHONPATH.
ASAN_PY_TARGET := build/asan-site-packages
# Python itself is not instrumented: the ASan runtime must be loaded first, and
# libstdc++ with it so that ASan's __cxa_throw interceptor finds the real one.
ASAN_PRELOAD = $(shell $${CXX:-g++} -print-file-name=libasan.so) \
	$(shell $${CXX:-g++} -print-file-name=libstdc++.so)
ASAN_PY_ENV = LD_PRELOAD="$(ASAN_PRELOAD)" PYTHONPATH=$(ROOT)/$(ASAN_PY_TARGET) \
	ASAN_OPTIONS=detect_leaks=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

PYTEST_ARGS ?= -q
CTEST := ctest --test-dir build/default --output-on-failure
PYTEST = $(VPY) -m pytest tests/python $(PYTEST_ARGS)
DEMO_ARGS ?=
BENCH_ARGS ?=

.PHONY: help deps venv install build test ctest pytest demo quickstart \
	asan asan-build asan-ctest asan-pytest bench bench-convert fuzz clean distclean

help: ## Show this list
	@echo "Usage: make <target>   (CMAKE_BUILD_PARALLEL_LEVEL=$(CMAKE_BUILD_PARALLEL_LEVEL))"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  %-13s %s\n", $$1, $$2}' \
		$(MAKEFILE_LIST)

deps: ## apt-get install the missing system packages (Debian, as root)
	@missing=""; \
	for pkg in $(APT_PACKAGES); do \
		if [ "$$pkg" = cmake ] && command -v cmake >/dev/null 2>&1 && \
		   [ "$$(printf '%s\n' $(CMAKE_MIN_VERSION) \
		        "$$(cmake --version | sed -n '1s/[^0-9]*\([0-9.]*\).*/\1/p')" \
		        | sort -V | head -n1)" = $(CMAKE_MIN_VERSION) ]; then \
			continue; \
		fi; \
		dpkg-query -W -f='$${Status}' "$$pkg" 2>/dev/null | grep -q 'ok installed' \
			|| missing="$$missing $$pkg"; \
	done; \
	if [ -z "$$missing" ]; then \
		echo "deps: all system packages present"; \
	else \
		echo "deps: installing$$missing"; \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update; \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y --no-install-recommends $$missing; \
	fi

venv: deps ## Create .venv and install the build + test tools (when missing or stale)
	@if ! "$(VPY)" -c 'import sys' >/dev/null 2>&1; then \
		echo "venv: creating $(VENV)"; \
		rm -rf "$(VENV)"; \
		$(PYTHON) -m venv "$(VENV)"; \
	fi
	@want='$(VENV_REQUIREMENTS)'; \
	if [ "$$(cat "$(VENV_STAMP)" 2>/dev/null)" != "$$want" ]; then \
		echo "venv: installing $$want"; \
		$(PIP) install $(VENV_REQUIREMENTS); \
		printf '%s\n' "$$want" > "$(VENV_STAMP)"; \
	else \
		echo "venv: up to date"; \
	fi

# scikit-build-core keeps its CMake tree in the build-dir set in pyproject.toml,
# so reinstalling rebuilds only what changed.
install: venv ## Build and install the acquire_zarr package into .venv
	$(PIP) install --no-build-isolation .

build: deps ## Configure and build the C library and C tests (preset default)
	@[ -f build/default/build.ninja ] || cmake --preset default
	cmake --build --preset default

ctest: build venv ## Run the C tests (ctest; the S3 tests start moto_server from .venv)
	$(CTEST)

pytest: install ## Run the Python tests against .venv
	$(PYTEST)

test: deps venv install build ## Everything: deps, venv, install, build, then ctest + pytest
	$(CTEST)
	$(PYTEST)

# `make demo` says what it is about to do before the (possibly long) build.
demo: ## Stream a simulated camera to a temporary folder, read it back, remove it (DEMO_ARGS="--output demo.zarr" keeps it)
	@echo "demo: 1. install what is missing: system packages, .venv, and the package"
	@echo "         (building it takes a few minutes the first time on 2 cores, seconds after that)"
	@echo "      2. run acquire-zarr demo $(DEMO_ARGS) (it says where it writes, how much,"
	@echo "         and removes its temporary folder at the end; --help lists its options)"
	@$(MAKE) --no-print-directory install
	$(VENV)/bin/acquire-zarr demo $(DEMO_ARGS)

quickstart: ## Run the README's Python quick start (examples/python/quickstart.py is that block); writes my_stream.zarr here
	@echo "quickstart: install what is missing (the first build takes a few minutes), then run"
	@echo "            examples/python/quickstart.py, the README's Python quick start, in $(ROOT)"
	@$(MAKE) --no-print-directory install
	$(VPY) examples/python/quickstart.py

asan-build: deps ## Build the C library and tests with ASan + UBSan (preset asan)
	@[ -f build/asan/build.ninja ] || cmake --preset asan
	cmake --build --preset asan

# The asan test preset sets ASAN_OPTIONS (leak checks on) and UBSAN_OPTIONS.
asan-ctest: asan-build venv ## Run ctest under ASan + UBSan (in build/asan)
	ctest --preset asan

asan-pytest: venv ## Run pytest against an ASan + UBSan build of the module
	rm -rf $(ASAN_PY_TARGET)
	$(PIP) install --no-build-isolation --no-deps --target $(ASAN_PY_TARGET) \
		--config-settings=build-dir=$(ASAN_PY_BUILD_DIR) \
		--config-settings=cmake.build-type=Debug \
		--config-settings=cmake.define.AQZ_SANITIZE=address,undefined .
	$(ASAN_PY_ENV) $(VPY) -c 'import acquire_zarr; print(acquire_zarr.__file__)' \
		| grep -F '$(ASAN_PY_TARGET)/'
	@# --capture=sys: sanitizer reports go to fd 2, which must stay the terminal.
	$(ASAN_PY_ENV) $(PYTEST) --capture=sys

asan: asan-ctest asan-pytest ## ctest and pytest under AddressSanitizer + UBSan

bench: install ## Run the benchmarks (benchmarks/bench.py)
	$(VPY) benchmarks/bench.py $(BENCH_ARGS)

# Whole-volume conversion to OME-Zarr against other tools, each in its own venv
# (benchmarks/.venv-*, created on first use); options in CONVERT_BENCH_ARGS.
bench-convert: install ## Benchmark converting a whole volume to OME-Zarr (benchmarks/convert_bench.py)
	$(VPY) benchmarks/convert_bench.py $(CONVERT_BENCH_ARGS)

# The settings fuzzers at length; `make test` runs a bounded number of cases.
# A new seed each run (printed; FUZZ_SEED=n repeats one). The C harness runs
# in the ASan + UBSan build, with the asan test preset's options.
FUZZ_CASES ?= 5000
FUZZ_C_CASES ?= 10000
FUZZ_SEED ?= $(shell date +%s)
fuzz: install asan-build ## Settings fuzzers: FUZZ_CASES (Python) and FUZZ_C_CASES (C API, ASan) random settings
	AQZ_FUZZ_CASES=$(FUZZ_CASES) AQZ_FUZZ_SEED=$(FUZZ_SEED) \
		$(VPY) -m pytest tests/python/test_settings_fuzz.py -q -s -k random
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		build/asan/tests/fuzz/settings_fuzz --seed $(FUZZ_SEED) --cases $(FUZZ_C_CASES)
	# Every write call of each fault-injection stream, and many more kills.
	AQZ_FAULT_POINTS=0 AQZ_KILL_TRIALS=25 \
		$(VPY) -m pytest tests/python/test_fault_injection.py tests/python/test_kill.py -q

clean: ## Remove build trees and demo output (keeps the venvs)
	rm -rf build demo.zarr my_stream.zarr

distclean: clean ## Also remove .venv and the benchmarks' venvs (published wheel, other tools)
	rm -rf $(VENV) benchmarks/.venv-published benchmarks/.venv-anu benchmarks/.venv-ngff-zarr \
		benchmarks/.venv-ome-zarr
