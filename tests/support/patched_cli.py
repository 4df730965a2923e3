"""The visionbatch CLI with one fault planted (see planted_faults.plant), in a subprocess:

python tests/support/patched_cli.py FAULT run IN --out DIR ...
"""

import sys

if __name__ == "__main__":
    # Imported here: render worker processes re-run this script, and need none of it.
    from planted_faults import plant

    from flows.commands.cli import main

    plant(sys.argv.pop(1))
    main()
