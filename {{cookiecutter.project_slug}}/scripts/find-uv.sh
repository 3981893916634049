#!/usr/bin/env bash
# Print the path of a uv that runs in this directory: `make` and the template's post-gen hook
# use it. The uv on PATH may be a pyenv shim that cannot run here: it picks the Python named
# in .python-version, and uv was installed into another one ("pyenv: uv: command not found").
# Then take the real uv from a Python pyenv knows, the candidates given as arguments, the uv
# that started us (uv sets UV for its children), or one in uv's standalone install folders.
# Failing all, print one line naming the fix and exit 1.
# Plain bash 3.2 (macOS's): no mapfile, no `set -u` with empty arrays.

# A parent pyenv shim exports these; they would hide .python-version from the shims.
unset PYENV_VERSION PYENV_DIR

try() {
	if [ -n "$1" ] && [ -x "$1" ] && "$1" --version >/dev/null 2>&1; then
		echo "$1"
		exit 0
	fi
}

on_path="$(command -v uv)"
try "$on_path"
if command -v pyenv >/dev/null; then
	while IFS= read -r uv; do try "$uv"; done < <(pyenv whence --path uv 2>/dev/null)
fi
for uv in "$@" "$UV" "${XDG_BIN_HOME:-$HOME/.local/bin}/uv" "${CARGO_HOME:-$HOME/.cargo}/bin/uv"; do
	try "$uv"
done

fix="install uv standalone (curl -LsSf https://astral.sh/uv/install.sh | sh, or pipx install uv)"
if [ -n "$on_path" ]; then
	why="$("$on_path" --version 2>&1 | head -n 1)"
	echo "error: the uv on PATH ($on_path) cannot run here (${why:-it failed}): $fix"
else
	echo "error: uv not found on PATH: $fix"
fi
exit 1
