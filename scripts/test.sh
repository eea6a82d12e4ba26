#!/usr/bin/env bash
# The project's test command (README and .ci/run): installs what the tests need,
# then runs ruff and the whole pytest suite. The suite starts its own Pacemaker lab
# in network namespaces and removes it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
.venv/bin/ruff check .
exec .venv/bin/pytest -ra "$@"
