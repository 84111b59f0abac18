"""`python -m bench` (what `make bench` runs): see bench/__init__.py."""

import sys

from bench.main import main

sys.exit(main())
