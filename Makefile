# The README's commands. Each runs the project's own set-up first, so they work on a fresh machine.
.PHONY: setup demo test typecheck bench fuzz

setup:
	@bash scripts/setup

demo: setup
	@./bin/convgen.mjs build examples/edge3x3.json --target arm920t -o out/edge3x3

typecheck: setup
	npx tsc --noEmit -p .

test: setup typecheck
	npx vitest run
