"""Text from the data (file names, error messages) made safe to print on a terminal.

A file named `\\x1b]0;owned\\x07.pdf` or an endpoint's error body with escape sequences would
otherwise retitle, clear or recolour the user's terminal: every control character but newline
and tab is shown as its escape (`\\x1b`), in every line the command prints.
"""

import re

import typer

# C0 controls but tab and newline, DEL, and the C1 controls (0x80-0x9f: CSI is 0x9b).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """The text with every control character shown as its escape."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def say_error(message: object) -> None:
    """`visionbatch: error: ...` on stderr, as one safe line."""
    typer.echo(f"visionbatch: error: {printable(str(message))}", err=True)


def say(message: object, err: bool = False) -> None:
    typer.echo(printable(str(message)), err=err)
