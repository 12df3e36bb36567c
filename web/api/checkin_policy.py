"""A meeting's face check-in policy: accept, margin and grey-zone thresholds, liveness, and
whether kiosks learn templates from QR, desk and grey-zone-tap check-ins (learn_templates)."""

from fastapi import APIRouter

from checkin import policy
from models import CheckinPolicyPublic, CheckinPolicyUpdate
from web.deps import ManagedMeetingDep, SessionDep

router = APIRouter(tags=["check-in"])


@router.get("/meetings/{meeting_id}/checkin-policy")
def get_checkin_policy(meeting: ManagedMeetingDep, session: SessionDep) -> CheckinPolicyPublic:
    """The meeting's thresholds, liveness and learning settings (defaults until set)."""
    assert meeting.id is not None
    current = policy.get_policy(session=session, meeting_id=meeting.id)
    return CheckinPolicyPublic.model_validate(current)


@router.patch("/meetings/{meeting_id}/checkin-policy")
def update_checkin_policy(
    data: CheckinPolicyUpdate, meeting: ManagedMeetingDep, session: SessionDep
) -> CheckinPolicyPublic:
    """Change the thresholds (accept below grey), require a liveness challenge, or turn
    template learning on or off (it only ever applies to people with a standing consent)."""
    changed = policy.update_policy(session=session, meeting=meeting, data=data)
    return CheckinPolicyPublic.model_validate(changed)
