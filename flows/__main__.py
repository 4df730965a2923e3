"""`python -m flows` is the `visionbatch` command.

The console script imports `main` from here, not from `flows.cli`: render worker processes
re-run the script that started the run, and this module keeps that to a few imports instead of
Prefect and the whole command line.
"""

import time

# When the command started, for the summary's "command" time (Prefect's start-up included).
COMMAND_STARTED = time.monotonic()


def main() -> None:
    from flows.cli import main as run_command_line

    run_command_line()


if __name__ == "__main__":
    main()
