#!/usr/bin/env bash
# Time from the end of package installation to the first answer, phase by phase (issue 13).
#
#   evals/first_answer.sh CLONE
#
# CLONE is a fresh clone whose packages are installed (`make setup` ran once there). Its data folder
# (.metodguiden: models and index) is deleted first, and the steps of `make run` after the package
# installation are timed: models install (without the ONNX export), index, server start, the first answer,
# and when the server's background export has swapped ONNX Runtime in.
# Never point it at a working checkout whose data you want to keep.
set -euo pipefail
clone=${1:?usage: evals/first_answer.sh CLONE}
port=${PORT:-7871}
cd "$clone"
test -x .venv/bin/metodguiden || { echo "no installed venv in $clone: run make setup there first" >&2; exit 2; }
rm -rf .metodguiden
ts() { date +%s.%N; }
t0=$(ts)
export HF_HUB_OFFLINE=1
.venv/bin/metodguiden models install --export-later > /dev/null
t1=$(ts)
.venv/bin/metodguiden index > /dev/null
t2=$(ts)
log=$(mktemp)
.venv/bin/metodguiden serve --port "$port" > "$log" 2>&1 &
pid=$!
trap 'kill $pid 2> /dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$port/v1/models" > /dev/null; do sleep 0.2; done
t3=$(ts)
ask() {
  curl -sf "http://127.0.0.1:$port/v1/chat/completions" -H 'Content-Type: application/json' \
    -d "{\"model\":\"metodguiden\",\"messages\":[{\"role\":\"user\",\"content\":\"$1\"}]}" > /dev/null
}
ask "Vi vill att pendlarna i kommunen ska kunna tycka till om nya busslinjer. Vilken metod passar?"
t4=$(ts)
ask "How do we report back to residents after a consultation?"
t5=$(ts)
until grep -q "svaren går nu via ONNX Runtime\|misslyckades\|kunde inte tas i bruk" "$log"; do sleep 1; done
t6=$(ts)
grep -q "svaren går nu via ONNX Runtime" "$log" || { cat "$log" >&2; exit 1; }
python3 - "$t0" "$t1" "$t2" "$t3" "$t4" "$t5" "$t6" <<'PY'
import sys
t = [float(x) for x in sys.argv[1:]]
print(f"models install {t[1]-t[0]:.1f} s, index {t[2]-t[1]:.1f} s, server up {t[3]-t[2]:.1f} s, "
      f"first answer {t[4]-t[3]:.1f} s, second {t[5]-t[4]:.1f} s; total to first answer {t[4]-t[0]:.1f} s; "
      f"answering through ONNX Runtime {t[6]-t[0]:.1f} s after the start")
PY
