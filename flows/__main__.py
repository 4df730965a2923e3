"""`python -m flows` is the `visionbatch` command."""

from flows.cli import main

main()
