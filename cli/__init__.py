"""The `hop` command and its sub-commands."""

import os

if os.environ.get("HOP_LOG_FORMAT", "").strip().lower() == "json":
    # Before the sub-commands import their libraries: a warning printed while importing one
    # would be the only line of the output that is not JSON (web.logs).
    from web.logs import configure

    configure("json")
