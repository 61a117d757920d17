# Sourced by every bench: what it needs, and how it gives up. A bench that cannot run or cannot
# measure says why and exits 1, so that make bench stops there.
top=$(cd "$(dirname "$0")/.." && pwd)
bench=bench/${0##*/}
# needs PACKAGE...: Debian packages the bench needs; installed when run as root, named otherwise.
needs() { bash "$top/tests/need" "$bench" "$@" || exit 1; }
# cannot WHAT: stop, saying what could not be measured.
cannot() { echo "$bench: cannot measure $*" >&2; exit 1; }
# measured WHAT VALUE...: each VALUE must be a number above 0, or the bench cannot measure WHAT.
measured() {
  local what=$1 v; shift
  for v; do
    awk -v v="$v" 'BEGIN { exit !(v ~ /^[0-9]+(\.[0-9]*)?$/ && v + 0 > 0) }' || cannot "$what (got \"$v\")"
  done
}
# strict: any command that fails stops the bench, saying which.
strict() {
  set -eu
  shopt -s inherit_errexit
  trap 'echo "$bench: failed: $BASH_COMMAND" >&2' ERR
}
