"""What every Docent command line shares: one click group class that is the error boundary.

A ``DocentError`` a command raises is printed as ``error: <what to do>`` with exit status 1,
never as a traceback; so is invalid configuration (pydantic's message names the value).
"""

from __future__ import annotations

import sys
from typing import Any

import click
from pydantic import ValidationError

from core.errors import DocentError

EXIT_CONFIG = 1


def fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_CONFIG)


class Commands(click.Group):
    """A click group whose commands share the one error boundary."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DocentError as exc:
            fail(exc.message)
        except ValidationError as exc:
            fail(f"invalid settings: {exc}")
