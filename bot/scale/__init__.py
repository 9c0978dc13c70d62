"""Scale-out parts: the webhook server, worker leadership, shared locks, update de-duplication and rate
limits in Redis/PostgreSQL, metrics and backups. bot.compose wires them in; the modes that use them
(`hocbac web`, `hocbac worker`) are in bot.runtime. See docs/scale.md."""
