#!/usr/bin/env bash
# Rewrites releases/: for each release below, a throwaway venv under $VENVS (default
# /tmp/blosc-compat-venvs) with that release's cp311 wheel (and its dependencies, numpy < 2 for
# the releases built against numpy 1.x), then gen_release_chunks.py with that venv's Python.
#
#   bash gen_releases.sh                  # every release
#   bash gen_releases.sh blosc2==2.5.1    # only the named ones (the others must be there: a
#                                         # release's manifest may point to an earlier one's file)
#
# Needs python3.11 (the wheels are cp311) with venv, and the package index.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venvs="${VENVS:-/tmp/blosc-compat-venvs}"
python="${PYTHON:-python3}"

# requirement | extra requirements. One release per C library version we could find as a cp311
# wheel (README.md lists them with the C-Blosc/C-Blosc2 version each bundles).
releases=(
    "blosc==1.11.0|"
    "blosc==1.11.4|"
    "blosc2==0.5.2|"
    "blosc2==2.0.0|numpy<2"
    "blosc2==2.2.9|numpy<2"
    "blosc2==2.5.1|numpy<2"
    "blosc2==3.0.0|"
    "blosc2==3.6.1|"
    "blosc2==3.12.2|"
    "blosc2==4.0.0|"
    "blosc2==4.2.0|"
    "blosc2==4.8.0|"
)

"$python" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' ||
    { echo "gen_releases.sh: needs Python 3.11 (set PYTHON)" >&2; exit 1; }
mkdir -p "$venvs" "$here/releases"
earlier=()
for spec in "${releases[@]}"; do
    req="${spec%%|*}"
    extra="${spec#*|}"
    pkg="${req%%==*}"
    ver="${req##*==}"
    out="$here/releases/$pkg-$ver"
    if [ $# -gt 0 ] && [[ " $* " != *" $req "* ]]; then
        earlier+=("$out")
        continue
    fi
    venv="$venvs/$pkg-$ver"
    if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import $pkg" 2>/dev/null; then
        rm -rf "$venv"
        "$python" -m venv "$venv"
        # shellcheck disable=SC2086 # $extra is zero or more requirements
        "$venv/bin/pip" install -q --disable-pip-version-check --only-binary=:all: "$req" $extra
    fi
    rm -rf "$out"
    # A file with the same name and bytes as in an earlier release is not stored twice.
    "$venv/bin/python" "$here/gen_release_chunks.py" --package "$pkg" --out "$out" --same-bytes-in "${earlier[@]}"
    earlier+=("$out")
done
