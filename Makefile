# The README's commands. Each runs the project's own set-up first, so they work on a fresh machine.
.PHONY: setup demo test typecheck bench fuzz load

setup:
	@bash scripts/setup

demo: setup
	@./bin/convgen.mjs build examples/edge3x3.json --target arm920t -o out/edge3x3

typecheck: setup
	npx tsc --noEmit -p .

test: setup typecheck
	npx vitest run

# Measures the bench suite on every QEMU target (verified bit-exact) and regenerates the committed figures, with the
# goals of issue 6. `--optimize speed` costs a measurement only where it generates code that differs from default.
bench: setup
	@mkdir -p docs
	./bin/convgen.mjs bench bench/*.json --target all --variant naive,reference,optimized --optimize default,speed --jobs 2 \
		--markdown docs/benchmarks.md --svg docs/benchmarks.svg --json docs/benchmarks.json

# Differential fuzzing: 10,000 (spec, variant) cases on the host under ASan + UBSan, compared with the golden model.
# Failures are shrunk and written to fuzz-failures/ as files for test/regressions/. FUZZ_SEED picks another stream.
FUZZ_SEED ?= 1
fuzz: setup
	./bin/convgen.mjs fuzz --cases 10000 --seed $(FUZZ_SEED) --targets host --out fuzz-failures

# The full load test: convgen test over 200 fuzzed specs x every QEMU target, parallel against sequential.
load: setup
	CONVGEN_LOAD_SPECS=200 npx vitest run test/load
