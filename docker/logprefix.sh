#!/bin/bash
# logprefix.sh NAME COMMAND [ARGS...] — run COMMAND with every line it writes
# (stdout and stderr) prefixed by "NAME | ", so the one container log says
# which program wrote what.
#
# COMMAND replaces this shell (exec), so supervisord's signals reach it
# directly and its exit status is supervisord's to see; the filter ends when
# COMMAND closes its output. The filter is a bash read loop on purpose: it
# handles each line as it arrives, where awk (mawk) and sed read pipes in
# blocks and would hold a quiet program's log lines back for minutes.
set -euo pipefail
if [ $# -lt 2 ]; then
	echo "usage: logprefix.sh NAME COMMAND [ARGS...]" >&2
	exit 2
fi
name="$1"
shift
prefix() {
	local line
	while IFS= read -r line || [ -n "$line" ]; do
		printf '%s | %s\n' "$name" "$line"
	done
}
exec > >(prefix) 2>&1
exec "$@"
