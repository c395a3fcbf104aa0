# Shared by the command-line tests (sourced): pass/fail counting and JSON comparison without timing.
#   check NAME CONDITION...   runs CONDITION; counts a pass, or prints "FAIL: NAME" and counts a failure
#   untimed FILE              FILE's JSON with the timing fields (seconds, profiles_per_second) zeroed
#   same_json A B             A and B are byte-identical once untimed
fails=0
passes=0
check() {
  local name=$1
  shift
  if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
untimed() { sed -E 's/"(seconds|profiles_per_second)": *[^,}]*/"\1": 0/g' "$1"; }
same_json() { cmp -s <(untimed "$1") <(untimed "$2"); }
