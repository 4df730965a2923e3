"""Running the command line in a fresh interpreter, to see what it loaded by its end."""

# Prints the command's exit code and the heavy modules it had imported.
CLI_PROBE = """
import sys
from flows.commands.cli import main
sys.argv = ["visionbatch", *sys.argv[1:]]
try:
    main()
except SystemExit as exit:
    code = exit.code
heavy = [m for m in ("prefect", "pymupdf", "openai", "onnxruntime") if m in sys.modules]
print(code, ",".join(heavy) or "-")
"""
