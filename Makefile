# The two entry points the README documents. Both install what they need first.
.PHONY: demo test lint site clean-lab

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

lint:
	.venv/bin/ruff check .

site:
	.venv/bin/mkdocs build --strict

clean-lab:
	labs/nslab/nslab down
