"""Daily delivery benchmark; the same as `hocbac bench daily`. Run from the repository root:

    python benchmarks/bench_daily.py --members 100000
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.devtools.bench_daily import main

if __name__ == "__main__":
    sys.exit(main())
