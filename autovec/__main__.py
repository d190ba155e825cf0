"""``python -m autovec``: the same as the ``autovec`` console script."""

import sys

from autovec.cli.main import main

sys.exit(main())
