"""``python -m kanlab``."""
import sys

from kanlab.cli._main import main

sys.exit(main())
