"""`python -m flows` is the `visionbatch` command.

The console script imports `main` from here, not from `flows.commands.cli`: render worker processes
re-run the script that started the run, and this module keeps that to a few imports instead of
Prefect and the whole command line.
"""

import sys
import time

# When the command started, for the summary's "command" time (Prefect's start-up included).
COMMAND_STARTED = time.monotonic()

# Run as `python -m flows`, this module is `__main__`; later imports of `flows.__main__` must get
# this one (and its start time), not a fresh copy started now.
sys.modules.setdefault("flows.__main__", sys.modules[__name__])


def main() -> None:
    from flows.commands.cli import main as run_command_line

    run_command_line()


if __name__ == "__main__":
    main()
