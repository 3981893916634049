#!/usr/bin/env bash
# Run uv as `make` does: $UV if set, else the uv scripts/find-uv.sh finds (the one on PATH, or
# the real one behind a pyenv shim that cannot run here). The git hooks call uv through this,
# so a commit works wherever `make` does. Usage: scripts/uv.sh <uv arguments>.

# As the Makefile: a parent pyenv shim's pins would make the shims ignore .python-version.
unset PYENV_VERSION PYENV_DIR
if [ -z "$UV" ]; then
	if ! UV="$(bash "$(dirname "${BASH_SOURCE[0]}")/find-uv.sh")"; then
		echo "$UV" >&2
		exit 1
	fi
fi
exec "$UV" "$@"
