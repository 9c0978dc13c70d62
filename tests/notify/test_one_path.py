"""Only the notify module (and the outbox and sender themselves) may enqueue: one path for every proactive
message, so quiet hours, the member's pause and the Zalo quota hold for all of them."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "bot"
ALLOWED = {"services/notify.py", "services/outbox.py", "channels/sender.py"}
ENQUEUE = re.compile(r"\b(enqueue|enqueue_for_person|enqueue_many|recipient_for_person)\s*\(|\bQueued\s*\(")


def offenders(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel in ALLOWED:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if ENQUEUE.search(line) and not line.lstrip().startswith(("def ", "async def ", "#")):
                found.append(f"bot/{rel}:{n}: {line.strip()}")
    return found


def test_only_notify_enqueues():
    assert offenders(ROOT) == [], "enqueue through bot.services.notify (notify / notify_chat / notify_many)"


def test_the_check_catches_a_hand_made_enqueue(tmp_path):
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "x.py").write_text(
        "async def f(s):\n    await outbox.enqueue_for_person(s, 1, key='k', kind='notice')\n", encoding="utf-8"
    )
    assert offenders(tmp_path) == ["bot/features/x.py:2: await outbox.enqueue_for_person(s, 1, key='k', kind='notice')"]
