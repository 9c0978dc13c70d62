"""`hocbac demo`: the real bot on the fake Telegram server, played from a local web page."""
