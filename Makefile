# Tripwire. Two commands do all set-up on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
# Node 22 from .toolchain/ when the system node is too old (see scripts/setup.sh), then the project's binaries.
export PATH := $(CURDIR)/.toolchain/bin:$(CURDIR)/node_modules/.bin:$(PATH)
HARDHAT := hardhat
# `make test` runs the CI fuzz profile (10,000 fuzz runs); `make test PROFILE=default` is quicker.
PROFILE ?= ci

.PHONY: setup compile demo test test-solidity test-mocha lint bench coverage rehearse simulate clean

setup:
	@bash scripts/setup.sh > /dev/null

compile: setup
	$(HARDHAT) compile

## The main job on an in-process chain: deploy, corrupt, trip, recover, and an honest crash.
demo: compile
	$(HARDHAT) run scripts/demo.ts

## Every test and check: lint, types, Solidity unit/fuzz/invariant tests, TypeScript integration tests.
test: compile lint test-solidity test-mocha rehearse

test-solidity: compile
	$(HARDHAT) test solidity $(shell find test/unit -name '*.t.sol' | sort) --test-profile $(PROFILE)
	$(HARDHAT) test solidity $(shell find test/invariant -name '*.t.sol' | sort) --test-profile stateful

test-mocha: compile
	$(HARDHAT) test mocha

lint: setup
	solhint --max-warnings 0 'contracts/**/*.sol'
	eslint --max-warnings 0 .
	tsc --noEmit

## Gas figures as JSON in bench/results/.
bench: compile
	$(HARDHAT) run bench/gas.ts
	$(HARDHAT) run bench/backtest.ts
	node --import tsx bench/keeper.ts

## A deployment rehearsal on a local anvil chain, through the same commands as a real network (docs/operating.md).
rehearse: compile
	node --import tsx scripts/rehearse.ts

## Every attack scenario on a fork (FORK_URL at FORK_BLOCK, else the local replica chain), without and with the
## guard: reports/simulation.json and reports/simulation.html (docs/simulation.md).
simulate: compile
	node --import tsx scripts/cli/main.ts simulate --out reports

## Line coverage of contracts/ (mocks excluded): coverage/lcov.info and a table. Solidity unit/fuzz tests and the
## TypeScript flows on the in-process chain (real Aave and Uniswap bytecode) together. Left out: the tests that run
## on anvil or through the command line (keeper, cli, package), which deploy the instrumented bytecode where the
## coverage runtime is not.
COVERAGE_MOCHA := aave backtest example-market guard sources
coverage: setup
	$(HARDHAT) test $(shell find test/unit -name '*.t.sol' | sort) \
		$(foreach t,$(COVERAGE_MOCHA),test/integration/$(t).test.ts) \
		--coverage --test-profile default
	node scripts/coverage-report.ts coverage/lcov.info

clean:
	rm -rf artifacts cache types coverage abi dist
