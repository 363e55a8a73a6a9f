"""``python -m thankful`` runs the command line."""

from __future__ import annotations

import sys

from thankful.cli import main

sys.exit(main())
