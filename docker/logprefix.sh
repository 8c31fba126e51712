#!/bin/bash
# logprefix.sh NAME COMMAND [ARGS...] — run COMMAND with every line it writes
# (stdout and stderr) prefixed by "NAME | ", so the one container log says
# which program wrote what.
#
# COMMAND replaces this shell (exec), so supervisord's signals reach it
# directly and its exit status is supervisord's to see; the awk filter ends
# when COMMAND closes its output.
set -euo pipefail
if [ $# -lt 2 ]; then
	echo "usage: logprefix.sh NAME COMMAND [ARGS...]" >&2
	exit 2
fi
name="$1"
shift
exec > >(exec awk -v p="$name | " '{ print p $0; fflush() }') 2>&1
exec "$@"
