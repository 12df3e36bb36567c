"""QR check-in: each invitation's signed code, and reading codes in kiosk frames.

A code reads `hop1.<meeting>.<invitation>.<signature>`; the signature is an HMAC-SHA256
(key derived from the application's secret key) over the meeting and invitation ids, so a
code cannot be made up from ids alone and is valid for one meeting only.
"""

import io
from dataclasses import dataclass

import cv2

from checkin.engine import FrameAnalysis, FrameOptions, RGBImage, analyse_image, decode_image
from core.signing import Signer

PREFIX = "hop1"
_LABEL = b"hop/invitation-qr/v1"
SIGNATURE_BYTES = 16
MAX_CODES_PER_FRAME = 4


@dataclass(frozen=True)
class InvitationCode:
    meeting_id: int
    invitation_id: int


class QrSigner:
    """Signs and verifies invitation codes with a key derived from the secret key."""

    def __init__(self, secret_key: str) -> None:
        self._signer = Signer(secret_key, label=_LABEL, length=SIGNATURE_BYTES, purpose="QR codes")

    def sign(self, *, meeting_id: int, invitation_id: int) -> str:
        """The text of the invitation's QR code."""
        signature = self._signer.signature(f"{meeting_id}.{invitation_id}")
        return f"{PREFIX}.{meeting_id}.{invitation_id}.{signature}"

    def verify(self, text: str) -> InvitationCode | None:
        """The invitation a code stands for, or None when it is not one of ours."""
        parts = text.strip().split(".")
        if len(parts) != 4 or parts[0] != PREFIX or not (parts[1] + parts[2]).isdigit():
            return None
        meeting_id, invitation_id = int(parts[1]), int(parts[2])
        if not self._signer.matches(f"{meeting_id}.{invitation_id}", parts[3]):
            return None
        return InvitationCode(meeting_id, invitation_id)


def qr_png(text: str, *, scale: int = 8) -> bytes:
    """A PNG of the QR code (medium error correction, quiet zone of four modules)."""
    import segno

    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def read_codes(image: RGBImage) -> list[str]:
    """The texts of the QR codes visible in an image (OpenCV's detector)."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    try:
        found, texts, _points, _straight = cv2.QRCodeDetector().detectAndDecodeMulti(grey)
    except cv2.error:
        return []
    if not found:
        return []
    return [text for text in texts if text][:MAX_CODES_PER_FRAME]


@dataclass(frozen=True)
class KioskFrame:
    """A frame's faces and the QR codes it shows."""

    analysis: FrameAnalysis
    codes: list[str]


def analyse_kiosk_frame(data: bytes, options: FrameOptions = FrameOptions()) -> KioskFrame:
    """A pool job: decode once, then faces (engine) and QR codes."""
    image = decode_image(data)
    codes = read_codes(image)
    analysis = analyse_image(image, options)
    return KioskFrame(analysis=analysis, codes=codes)
