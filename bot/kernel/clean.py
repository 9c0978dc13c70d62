"""The one text-normalisation step for everything people send, before any feature or the database sees it.

Control characters mean nothing in a chat message but break things downstream: PostgreSQL refuses NUL in
text (asyncpg raises, and the message or the reply was lost), openpyxl refuses \\x0b (Word's Shift+Enter)
and stopped every export of the branch. So the dispatcher cleans the text, the command arguments, the
pressed button's data and the person's display name and username of every update once, here, and no
feature has to think about it (see :func:`bot.text.clean_text`).
"""

from __future__ import annotations

from dataclasses import replace

from bot.messages import Inbound
from bot.text import clean_text


def clean_inbound(inbound: Inbound) -> Inbound:
    """``inbound`` with every piece of user text cleaned (in place; the user reference is replaced)."""
    inbound.text = clean_text(inbound.text)
    inbound.args = clean_text(inbound.args)
    if inbound.command:
        inbound.command = clean_text(inbound.command)
    if inbound.choice:
        inbound.choice = clean_text(inbound.choice)
    for media in inbound.media:
        media.file_name = clean_text(media.file_name)
    user = inbound.user
    if user is not None:
        name, username = clean_text(user.display_name), clean_text(user.username)
        if (name, username) != (user.display_name, user.username):
            inbound.user = replace(user, display_name=name, username=username)
    return inbound
