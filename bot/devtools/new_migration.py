"""Create a migration revision for a feature's new models (autogenerate against a scratch SQLite).

    python -m bot.devtools.new_migration 0007_votes "votes"

Features branch from the foundation (several heads are fine: we always upgrade to ``heads``); give
``--depends-on`` when your tables reference another feature's tables.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

import bot.installed  # noqa: F401  (every feature's models join the metadata)
from storage.migrate import alembic_config, upgrade_sync


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rev_id")
    parser.add_argument("message")
    parser.add_argument("--depends-on", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'scratch.sqlite3'}"
        upgrade_sync(url)
        cfg = alembic_config(url)
        heads = ScriptDirectory.from_config(cfg).get_heads()
        command.revision(cfg, message=args.message, autogenerate=True, rev_id=args.rev_id,
                         head="0001_foundation" if "0001_foundation" in heads else heads[0],
                         splice=True, depends_on=args.depends_on)
    versions = Path(__file__).parent / "migrations" / "versions"
    for f in versions.glob(f"{args.rev_id}_*.py"):
        f.rename(versions / f"{args.rev_id}.py")


if __name__ == "__main__":
    main()
