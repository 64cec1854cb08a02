#!/bin/bash
# restart-hook.sh PIDFILE -- the hook of a load flow (smtpload.py's
# LOAD_HOOK_CMD) in the restart tests: restart deptmilter the unit's way
# (stop, then start) when RESTART_HOW is "unit", else by an explicit
# handover (deptmilter -R -c MILTER_CONF, then wait for the old process
# to end); only for the first RESTART_N calls (LOAD_HOOK_N).  Appends a
# line "OLD-PID NEW-PID" to RESTART_LOG.
# SPDX-License-Identifier: BSD-2-Clause
lib=$(cd "$(dirname "$0")/../lib" && pwd)
. "$lib/milter.sh"
. "$lib/unit.sh"
pidf=$1
[ "$LOAD_HOOK_N" -le "$RESTART_N" ] || exit 0
old=$(cat "$pidf")
if [ "$RESTART_HOW" = unit ]; then
    unit_cmd restart || exit 1
else
    "$MILTER_BIN" -R -c "$MILTER_CONF" || exit 1
    for _ in $(seq 3000); do kill -0 "$old" 2>/dev/null || break; sleep 0.01; done
fi
echo "$old $(cat "$pidf")" >>"$RESTART_LOG"
