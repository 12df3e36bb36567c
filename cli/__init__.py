"""The `hop` command and its sub-commands."""
