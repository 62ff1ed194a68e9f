# The README's commands. Each runs the project's own set-up first, so they work on a fresh machine.
.PHONY: setup setup-tests demo test typecheck bench fuzz load install uninstall

setup:
	@bash scripts/setup

# The tests also open the HTML reports in Debian's headless chromium.
setup-tests:
	@bash scripts/setup --tests

demo: setup
	@./bin/convgen.mjs build examples/edge3x3.json --target arm920t -o out/edge3x3
	@echo
	@./bin/convgen.mjs build test/fixtures/models/kws_ref_model/kws_ref_model.tflite --target arm920t -o out/kws

typecheck: setup
	npx tsc --noEmit -p .

test: setup-tests typecheck
	npx vitest run

# Puts `convgen` on PATH: a symlink $(PREFIX)/bin/convgen -> this checkout's bin/convgen.mjs, so the command runs this
# checkout (a `git pull` updates it) with its own node_modules, firmware and QEMU plugin. A symlink needs neither npm's
# global folder (root-owned with Debian's node, per Node version under nvm) nor the registry, and never goes stale
# the way a packed tarball installed with `npm install -g` does. Default PREFIX: /usr/local for root, else ~/.local.
PREFIX ?= $(if $(filter 0,$(shell id -u)),/usr/local,$(HOME)/.local)
install: setup
	@bash scripts/install "$(PREFIX)"

uninstall:
	@bash scripts/install --remove "$(PREFIX)"

# Measures the bench suite and the three MLPerf Tiny networks on every QEMU target (verified bit-exact) and
# regenerates the committed figures, with the goals of issues 6 and 17. `--optimize speed` costs a measurement only
# where it generates code that differs from default (networks are measured with the default goal).
bench: setup
	@mkdir -p docs
	./bin/convgen.mjs bench bench/*.json test/fixtures/models/*/*.tflite --target all --variant naive,reference,optimized --optimize default,speed --jobs 2 \
		--markdown docs/benchmarks.md --svg docs/benchmarks.svg --json docs/benchmarks.json

# Differential fuzzing: 10,000 (spec, variant) cases on the host under ASan + UBSan, compared with the golden model.
# Failures are shrunk and written to fuzz-failures/ as files for test/regressions/. FUZZ_SEED picks another stream.
FUZZ_SEED ?= 1
fuzz: setup
	./bin/convgen.mjs fuzz --cases 10000 --seed $(FUZZ_SEED) --targets host --out fuzz-failures

# The full load test: convgen test over 200 fuzzed specs x every QEMU target, parallel against sequential.
load: setup
	CONVGEN_LOAD_SPECS=200 npx vitest run test/load
