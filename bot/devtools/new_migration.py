"""Create a migration revision for a feature's new models (autogenerate against a scratch SQLite).

    python -m bot.devtools.new_migration 0007_votes "votes"

The history is one line (0007_one_history joined the first release's per-feature branches): a new
revision always follows the single head, whichever feature adds it. Name it after the change, and list
the new tables in the feature's ``Feature(models=...)`` so the App and this tool see them.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

import bot.installed  # noqa: F401  (every feature's models join the metadata)
from storage.migrate import MIGRATIONS_DIR, alembic_config, upgrade_sync


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rev_id")
    parser.add_argument("message")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'scratch.sqlite3'}"
        upgrade_sync(url)
        cfg = alembic_config(url)
        heads = ScriptDirectory.from_config(cfg).get_heads()
        if len(heads) != 1:
            raise SystemExit(f"the migration history must have one head, found {heads}")
        command.revision(cfg, message=args.message, autogenerate=True, rev_id=args.rev_id,
                         head=heads[0])
    versions = MIGRATIONS_DIR / "versions"
    for f in versions.glob(f"{args.rev_id}_*.py"):
        f.rename(versions / f"{args.rev_id}.py")


if __name__ == "__main__":
    main()
