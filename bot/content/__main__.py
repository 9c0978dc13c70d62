"""``python -m bot.content [PATH]``: check the content library."""

import sys

from bot.content.cli import main

sys.exit(main())
