#!/usr/bin/env bash
# The Python client (issue 27): `pip install ./clients/python` into a clean virtualenv (PyPI only;
# it must bring at most 2 direct dependencies) and imports there, then its pytest suite against
# real 3-node clusters (tests/test_client.py) and the Celery test with a real redis-server and
# real workers (tests/test_celery.py; skipped with the reason when redis-server or celery is
# missing).   VIGIL_BIN=.build/debug/vigil scripts/tests/python-client.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="$(mktemp -d /tmp/vigil-client-venv.XXXXXX)"
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
start=$(date +%s)
"$venv/bin/python" -m pip install -q ./clients/python
"$venv/bin/python" - <<'PY'
import importlib.metadata as md, vigil_client
direct = [r for r in (md.requires("vigil-client") or []) if "extra ==" not in r]
assert len(direct) <= 2, direct
print(f"python-client: pip install ./clients/python in a clean virtualenv: ok, direct dependencies {direct}, "
      f"{len(list(md.distributions())) - 1} distributions in the venv besides vigil-client; py.typed shipped: "
      f"{any(str(f).endswith('py.typed') for f in md.files('vigil-client'))}")
PY
echo "python-client: installed in $(( $(date +%s) - start )) s"
VIGIL_BIN="${VIGIL_BIN:-.build/debug/vigil}" python3 -m pytest -q -p no:cacheprovider clients/python/tests
