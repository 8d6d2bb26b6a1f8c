#!/usr/bin/env sh
# Print the path of a Python >= 3.12 interpreter, or explain what to install and exit 1.
# Tries python3.13 / python3.12 on PATH (pyenv shims included, if they really run), then pyenv's
# version folders, then plain python3.
for candidate in "${PYTHON:-}" python3.13 python3.12 \
    "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python3.13 \
    "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3.12 \
    /usr/local/bin/python3.13 /usr/local/bin/python3.12 /usr/bin/python3.13 /usr/bin/python3.12 python3; do
  [ -n "$candidate" ] || continue
  if "$candidate" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then
    "$candidate" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
cat >&2 <<'MSG'
sopflow needs Python 3.12 or newer (Django 6.1 requires it), and none was found.
Install one of:
  Debian/Ubuntu:  sudo apt-get install python3.13 python3.13-venv   (or use pyenv: pyenv install 3.13)
  macOS:          brew install python@3.13
  Windows:        winget install Python.Python.3.13
Then run the make command again (or set PYTHON=/path/to/python3.13).
MSG
exit 1
