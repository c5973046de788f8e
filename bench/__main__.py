"""`python -m bench` (and `make bench`): the benchmark suite. See bench/runner.py and docs/PERFORMANCE.md."""

import sys

from bench.runner import main

sys.exit(main())
