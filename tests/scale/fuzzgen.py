"""A seeded generator of hostile Telegram updates (kept in the repo so a failure can be replayed by seed).

Covers: random and huge text, every Unicode plane, RTL, zero-width, HTML-like fragments, unknown update
types, missing fields, wrong types, forged callback data, commands with odd args, photos without caption.
"""

from __future__ import annotations

import random
import string
from typing import Any

PLANES = [(0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x590, 0x6FF), (0x900, 0x97F), (0x1EA0, 0x1EF9),
          (0x2000, 0x206F), (0x3040, 0x30FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xE000, 0xF8FF),
          (0xFE00, 0xFE0F), (0x10000, 0x1FFFF), (0x1F300, 0x1FAFF), (0x20000, 0x2FFFF), (0x30000, 0x3FFFF),
          (0xE0000, 0xE007F), (0xF0000, 0xFFFFD), (0x100000, 0x10FFFD)]
SPECIAL = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e", "\u202d", "\u2066", "\u0000", "\n",
           "\r\n", "\t", "שלום", "مرحبا", "<b>", "</b>", "<i>", "&", "&amp;", "&lt;", "<a href='x'>", "</a>",
           "<script>", "<tg-spoiler>", "]]>", "%s", "{0}", "{name}", "\\", "'", '"', "`", "ầ", "Ư", "Đ"]
COMMANDS = ["start", "help", "toi", "roi", "xoadulieu", "ngonngu", "mathamgia", "choduyet", "thanhvien",
            "thamgia", "quantri", "dsdonvi", "taodangbo", "taochibo", "moibithu", "moiphobithu", "moicapuy",
            "thuhoima", "huy", "cancel", "homnay", "unknowncmd", "START", "a" * 40]
BUTTON_DATA = ["join:ok:1", "join:no:1", "join:ok:999999", "join:ok:-1", "join:ok:x", "join:", "lang:en", "lang:vi",
               "lang:<b>", "leave:1", "leave:abc", "erase", "erase:1", "join.code:1", "join.wait:1", "members:1", "f:x",
               "f:", "f:step:999", "", ":", "::::", "x" * 64, "ư" * 21]


class FuzzGen:
    def __init__(self, seed: int, users: list[int], groups: list[int], photo: list[dict[str, Any]],
                 bot_user: dict[str, Any]) -> None:
        self.r = random.Random(seed)
        self.users = users
        self.groups = groups
        self.photo = photo
        self.bot_user = bot_user
        self.update_id = 5_000_000
        self.message_id = 1

    # --- pieces ---

    def char(self) -> str:
        r = self.r
        if r.random() < 0.2:
            return r.choice(SPECIAL)
        lo, hi = r.choice(PLANES)
        c = r.randint(lo, hi)
        return chr(c) if not 0xD800 <= c <= 0xDFFF else "?"

    def text(self) -> str:
        r = self.r
        size = r.choice([0, 1, 3, 10, 40, 200, 1000, 4096, 5000, 12000])
        if size >= 1000 and r.random() < 0.5:
            return (r.choice(SPECIAL) + r.choice(string.ascii_letters)) * (size // 2)
        return "".join(self.char() for _ in range(size))

    def user(self, uid: int | None = None) -> dict[str, Any]:
        uid = uid or self.r.choice(self.users)
        u: dict[str, Any] = {"id": uid, "is_bot": False, "first_name": self.text()[:64] or "A"}
        if self.r.random() < 0.3:
            u["language_code"] = self.r.choice(["vi", "en", "ar", "zz", ""])
        return u

    def message(self, user: dict[str, Any], **content: Any) -> dict[str, Any]:
        self.message_id += 1
        in_group = self.r.random() < 0.1
        chat = ({"id": self.r.choice(self.groups), "type": "group", "title": "Nhóm"} if in_group
                else {"id": user["id"], "type": "private", "first_name": user["first_name"]})
        return {"message_id": self.message_id, "date": 1_770_000_000, "from": user, "chat": chat, **content}

    def command(self) -> str:
        r = self.r
        cmd = "/" + r.choice(COMMANDS)
        if r.random() < 0.2:
            cmd += "@" + r.choice(["hocbac_test_bot", "other_bot", ""])
        args = r.choice(["", " ", " " + self.text()[:300], " ABCD2345", " abcd-2345", " 0", " -1",
                         " 99999999999999999999", " <b>x</b>", " &amp;", " " + "x" * 5000])
        return cmd + args

    # --- updates ---

    def update(self) -> dict[str, Any]:
        self.update_id += 1
        uid = self.update_id
        r = self.r
        kind = r.choices(["text", "command", "callback", "photo", "unknown", "missing", "wrong", "edited",
                          "sticker", "member"], weights=[22, 22, 16, 10, 6, 6, 8, 4, 3, 3])[0]
        user = self.user()
        if kind == "text":
            return {"update_id": uid, "message": self.message(user, text=self.text() or " ")}
        if kind == "command":
            text = self.command()
            ent = [{"type": "bot_command", "offset": 0, "length": len(text.split(" ")[0])}]
            if r.random() < 0.1:
                ent = [{"type": "bot_command", "offset": r.randint(-5, 50), "length": r.randint(-1, 999)}]
            return {"update_id": uid, "message": self.message(user, text=text, entities=ent)}
        if kind == "callback":
            data = r.choice(BUTTON_DATA) if r.random() < 0.7 else self.text()[:64]
            msg = self.message(self.bot_user, text="Câu hỏi")
            msg["chat"] = {"id": user["id"], "type": "private", "first_name": "A"}
            q: dict[str, Any] = {"id": str(r.randrange(1 << 40)), "from": user, "chat_instance": "1",
                                 "data": data}
            if r.random() < 0.85:
                q["message"] = msg
            return {"update_id": uid, "callback_query": q}
        if kind == "photo":
            content: dict[str, Any] = {"photo": self.photo}
            if r.random() < 0.4:
                content["caption"] = self.text()[:1024]
            return {"update_id": uid, "message": self.message(user, **content)}
        if kind == "sticker":
            return {"update_id": uid, "message": self.message(user, sticker={
                "file_id": "stk", "file_unique_id": "stku", "type": "regular", "width": 1, "height": 1,
                "is_animated": False, "is_video": False})}
        if kind == "member":
            return {"update_id": uid, "my_chat_member": {
                "chat": {"id": user["id"], "type": "private", "first_name": "A"}, "from": user, "date": 1,
                "old_chat_member": {"status": "member", "user": self.bot_user},
                "new_chat_member": {"status": r.choice(["kicked", "member", "weird"]), "user": self.bot_user,
                                    "until_date": 0}}}
        if kind == "edited":
            return {"update_id": uid, r.choice(["edited_message", "channel_post", "edited_channel_post"]):
                    self.message(user, text=self.text() or "x", edit_date=2)}
        if kind == "unknown":
            return {"update_id": uid, r.choice(["future_thing", "business_message", "purchased_paid_media",
                                                 "x" * 50]): {"anything": self.text()[:100], "n": [1, {}]}}
        if kind == "missing":
            msg = self.message(user, text="/start")
            for key in r.sample(["from", "chat", "date", "message_id", "text"], r.randint(1, 3)):
                msg.pop(key, None)
            return r.choice([{"update_id": uid, "message": msg}, {"update_id": uid}, {"message": msg},
                             {"update_id": uid, "callback_query": {"id": "1"}}])
        # wrong types
        msg = self.message(user, text="/help")
        field, value = r.choice([("text", 123), ("text", ["a"]), ("from", "abc"), ("chat", 5),
                                 ("message_id", "x"), ("date", "yesterday"), ("entities", "bold"),
                                 ("text", None), ("photo", "not-a-list"), ("caption", {"a": 1})])
        msg[field] = value
        return r.choice([{"update_id": uid, "message": msg}, {"update_id": str(uid), "message": msg},
                         {"update_id": None, "message": msg}, {"update_id": uid, "message": []}])
