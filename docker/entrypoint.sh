#!/bin/sh
# Loads the secrets file `pegnet-coordinator init` wrote (PEGNET_ENV_FILE: KEY=value lines)
# into the environment, then runs the command. Secrets never sit in the compose file or the
# image; a missing file is an error that says where it should have come from.
set -eu
if [ -n "${PEGNET_ENV_FILE:-}" ]; then
    if [ ! -r "$PEGNET_ENV_FILE" ]; then
        echo "error: PEGNET_ENV_FILE=$PEGNET_ENV_FILE is not readable; it is written by" \
            "'pegnet-coordinator init' (the compose 'init' service)" >&2
        exit 1
    fi
    set -a
    . "$PEGNET_ENV_FILE"
    set +a
fi
exec "$@"
