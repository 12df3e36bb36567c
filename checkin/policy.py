"""A meeting's face check-in policy: thresholds, whether liveness is required, and whether its
kiosks may learn templates from check-ins confirmed by a second factor (checkin.learning)."""

from sqlmodel import Session

from checkin.errors import InvalidThresholdsError
from checkin.matching import Thresholds
from models import CheckinPolicy, CheckinPolicyUpdate, Meeting
from models.base import utcnow


def get_policy(*, session: Session, meeting_id: int) -> CheckinPolicy:
    """The meeting's policy; the calibrated defaults when none was set (not stored)."""
    policy = session.get(CheckinPolicy, meeting_id)
    return policy if policy is not None else CheckinPolicy(meeting_id=meeting_id)


def update_policy(
    *, session: Session, meeting: Meeting, data: CheckinPolicyUpdate
) -> CheckinPolicy:
    """Change the meeting's thresholds, liveness requirement or template learning."""
    assert meeting.id is not None
    policy = get_policy(session=session, meeting_id=meeting.id)
    changes = data.model_dump(exclude_unset=True)
    # Refuse accept > grey before the stored row is touched.
    thresholds(CheckinPolicy.model_validate({**policy.model_dump(), **changes}))
    policy.sqlmodel_update(changes)
    policy.updated_at = utcnow()
    session.add(policy)
    session.commit()
    return policy


def thresholds(policy: CheckinPolicy) -> Thresholds:
    """The matching thresholds of a policy."""
    try:
        return Thresholds(
            accept=policy.accept_threshold, margin=policy.margin, grey=policy.grey_threshold
        )
    except ValueError as error:
        raise InvalidThresholdsError(str(error), field="accept_threshold") from error
