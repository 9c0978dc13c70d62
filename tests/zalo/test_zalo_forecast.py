"""The forecast's arithmetic (the figures in /baocao and in the secretaries' warning come from it)."""

from __future__ import annotations

from bot.features.zalo_quota.forecast import main, plan_month


def test_daily_items_read_confirmations_notices_and_replies_add_up():
    f = plan_month(members=40, days=30, read_ack_per_member=30, notices=20, replies_per_member=4)
    assert (f.daily, f.read_acks, f.notices, f.replies) == (1200, 1200, 20, 160)
    assert f.total == 2580 and f.percent == 86


def test_weekly_confirmation_and_group_delivery_shrink_the_month():
    weekly = plan_month(members=40, days=30, read_ack_per_member=30 // 7)
    group = plan_month(members=40, days=30, read_ack_per_member=30 // 7, group_members=40, groups=1)
    assert weekly.read_acks == 160 and weekly.daily == 1200
    assert group.daily == 30 and group.read_acks == 0  # one group message a day; no button in a group
    assert group.total < weekly.total < plan_month(members=40, days=30, read_ack_per_member=30).total


def test_cli_prints_the_breakdown(capsys):
    main(["--members", "40", "--group"])
    out = capsys.readouterr().out
    assert "daily items: 30" in out and "total: 190 of 3000 (6%)" in out
