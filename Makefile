# The two entry points the README documents. Both install what they need first.
.PHONY: demo test lint site clean-lab e2e

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

lint:
	.venv/bin/ruff check .

site:
	.venv/bin/mkdocs build --strict

# The Vagrant lab from scratch (root, libvirt, ~70 min under emulation): box, vagrant up,
# each exercise fails / is solved / passes, resets. Options: see labs/vagrant-e2e.sh.
e2e:
	bash labs/vagrant-e2e.sh

clean-lab:
	labs/nslab/nslab down
