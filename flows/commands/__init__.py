"""The commands of `visionbatch`: the Typer app, its options, and one module per command."""
