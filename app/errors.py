"""Errors a user can cause; the CLI turns them into one line and an exit code."""

from __future__ import annotations


class FocusCamError(Exception):
    """A runtime problem with a message meant for the user (exit code 1)."""

    exit_code = 1


class UsageError(FocusCamError):
    """Bad arguments or values out of range (exit code 2)."""

    exit_code = 2


class ModelError(FocusCamError):
    """A model file is missing, unreadable or fails its checksum."""
