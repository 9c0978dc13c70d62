"""The only place where roles are decided. Every use case calls one of the require_* checks;
handlers may call can_* only to hide options they would refuse anyway."""

from __future__ import annotations

import logging

from bot.i18n import _
from bot.services.actor import Actor
from bot.services.errors import PermissionDenied

log = logging.getLogger("hocbac.permissions")


def _deny(actor: Actor, action: str, target: object) -> PermissionDenied:
    log.warning("permission denied: person=%s action=%s target=%s", actor.person_id, action, target)
    return PermissionDenied(_("Sorry, you are not allowed to do that."))


def can_manage_branch(actor: Actor, branch_id: int, org_id: int) -> bool:
    """Secretary or deputy of this branch, a committee admin of its đảng bộ, or a system admin."""
    return (
        actor.is_system_admin
        or branch_id in actor.managed_branch_ids()
        or org_id in actor.admin_org_ids
    )


def require_branch_manager(actor: Actor, branch_id: int, org_id: int, action: str = "manage") -> None:
    if not can_manage_branch(actor, branch_id, org_id):
        raise _deny(actor, action, f"branch:{branch_id}")


def can_admin_org(actor: Actor, org_id: int) -> bool:
    return actor.is_system_admin or org_id in actor.admin_org_ids


def require_org_admin(actor: Actor, org_id: int, action: str = "org_admin") -> None:
    if not can_admin_org(actor, org_id):
        raise _deny(actor, action, f"org:{org_id}")


def require_system_admin(actor: Actor, action: str = "system_admin") -> None:
    if not actor.is_system_admin:
        raise _deny(actor, action, "system")


def require_active_member(actor: Actor, branch_id: int, action: str = "member") -> None:
    if actor.seat(branch_id) is None:
        raise _deny(actor, action, f"branch:{branch_id}")
