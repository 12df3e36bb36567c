"""Error messages in the reader's language.

The domain raises its errors with English details (core.errors.HopError), many of them
f-strings, and stays free of the web. The web layer translates a detail where it shows one (the
error page, JSON's `message`, a form's field, a websocket error): MESSAGES lists every message
the code writes, an f-string's placeholders written %(name)s, and each is read back from a
detail by a pattern made from it. What a placeholder held is translated too when it is a
message or a stored word itself (WORDS: a status, a kind); a placeholder named `message` must
be, or the pattern does not apply. tests/web/test_error_words.py finds every message written in
the packages with `ast` and fails on one missing here.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

Gettext = Callable[[str], str]


def N_(message: str) -> str:  # noqa: N802 - gettext's "translate later"
    """Mark a message for the catalogues, as web.pages.render.N_ does (that module renders
    with this table, so this one does not import it)."""
    return message


# Messages whose text is made of other messages go at most this deep.
DEPTH = 4
REQUIRED = frozenset({"message"})

DOMAIN = (
    # meetings
    N_("Meeting %(id)s not found"),
    N_("Only the secretariat or the meeting's chair may change it"),
    N_("Only the secretariat may do this"),
    N_("A document needs a title"),
    N_("The title holds a NUL character, which cannot be stored"),
    N_("Document %(id)s not found"),
    N_("Version %(number)s of document %(id)s not found"),
    N_("Choose at least one person or a unit with people in it"),
    N_("Unknown people: %(ids)s"),
    N_("Unknown organisation unit %(id)s"),
    N_("A %(status)s meeting cannot become %(target)s"),
    N_("This meeting is over or cancelled; invitations cannot be sent"),
    N_("This meeting is over or cancelled; its invitations can no longer change"),
    N_("This Office file is damaged and cannot be checked"),
    N_("This Office file cannot be published: it holds more than %(count)s parts"),
    N_("This Office file cannot be published: it expands to more than %(size)s MB"),
    N_("This Office file cannot be published: it holds macros (vbaProject.bin)"),
    N_(
        "This Office file cannot be published: "
        "a part expands more than %(ratio)s times (a zip bomb)"
    ),
    N_(
        "This PDF contains %(found)s and was refused: save it again without them "
        "(for instance, print it to a new PDF)"
    ),
    N_("The PDF could not be read (%(kind)s); it may be damaged"),
    N_("This PDF is password-protected, so it cannot be checked: upload it without a password"),
    N_("This PDF has too many objects to be checked"),
    N_("Username %(username)s is taken"),
    N_("Person %(id)s not found"),
    N_("You cannot deactivate your own account"),
    N_("Only an administrator may change an administrator's account"),
    N_("CSV lacks the columns: %(columns)s"),
    N_("This invitation was withdrawn"),
    N_("This meeting is over or cancelled; replies are closed"),
    N_("This reply link has expired"),
    N_("This reply link is not valid; use the link in the e-mail"),
    N_("end_at must be after start_at"),
    N_("Agenda item %(id)s not found"),
    N_(
        "The agenda already holds %(count)s items, the most one meeting's minutes can record: "
        "merge items or split the meeting"
    ),
    N_("item_ids must list every agenda item once"),
    N_("Invitation %(id)s not found"),
    N_("This person is already invited"),
    N_("A reply is accepted or declined"),
    N_("Speech request %(id)s not found"),
    N_("You have already asked to speak on this agenda item"),
    N_("Only the delegate who asked, or the chair, may withdraw it"),
    N_("Give every waiting request of the item exactly once"),
    N_("Only delegates invited to the meeting may ask to speak"),
    N_("Check in at the meeting before asking to speak"),
    N_("%(message)s (this one is %(status)s)"),
    N_("Only a waiting request can be withdrawn"),
    N_("Only a waiting request can be moved"),
    N_("Only a waiting request can be started"),
    N_("Only a speech in progress can be ended"),
    N_("The file is larger than the limit of %(size)s MB"),
    N_("Not a sha256 digest"),
    N_("The file is empty"),
    N_("File type %(type)s is not allowed; allowed: %(allowed)s"),
    N_("The picture cannot be used: %(message)s"),
    # what changed between versions (meetings.changes), renderings and stamped downloads
    N_("Compare an older version with a newer one: from must be less than to"),
    N_("A version is given by its number, such as 1 or 2"),
    N_("Only Office documents are shown through a PDF rendering; this file is shown as it is"),
    N_(
        "This server cannot show Office documents in the reader (LibreOffice is not "
        "installed): download the original file"
    ),
    N_(
        "This Office document could not be turned into a PDF for the reader: "
        "download the original file"
    ),
    N_(
        "This PDF could not be stamped with your name, so it cannot be downloaded; "
        "read it in the reader instead"
    ),
    # notes on the papers (meetings.notes)
    N_("This client_id already names a note on another document"),
    N_("A highlight needs the text it marks"),
    N_("A pinned note needs its point on the page (x and y)"),
    N_("Page %(page)s is beyond the last page of the document (%(count)s)"),
    N_("Note %(id)s not found"),
    N_("Only the secretariat or the meeting's chair may read shared notes"),
    # the meeting's lifecycle (meetings.lifecycle.refusal: "The meeting is <status>: <what>")
    N_("The meeting is %(status)s: %(message)s"),
    N_("a draft"),
    N_("scheduled but not started"),
    N_("polls can no longer be drafted or changed"),
    N_("polls can be opened only while it is in progress"),
    N_("ballots can be cast only while it is in progress"),
    N_("polls can no longer be closed, published or cancelled"),
    N_("it is not taking requests to speak"),
    N_("start the meeting before giving anyone the floor"),
    N_("the current agenda item can be set only while it is in progress"),
    N_("attendance cannot change"),
    N_("documents can no longer be published"),
    N_("The minutes of the meeting are final: nothing of the meeting changes now"),
    # checkin
    N_("Only people invited to the meeting can be checked in"),
    N_("a face key is 32 bytes"),
    N_("a secret key is needed to encrypt face embeddings"),
    N_("A stored face embedding has an unknown format"),
    N_("A stored face embedding does not decrypt: was the secret key changed?"),
    N_("The %(format)s image cannot be decoded"),
    N_("No face was found in the photo"),
    N_("%(count)s faces were found; the photo must show exactly one person"),
    N_("The face is %(size)s pixels wide; at least %(needed)s are needed"),
    N_("The face is too blurry (sharpness %(sharpness)s, at least %(needed)s)"),
    N_("The face is too dark (brightness %(value)s, at least %(needed)s)"),
    N_("The face is washed out (brightness %(value)s, at most %(limit)s)"),
    N_("The head is tilted %(degrees)s degrees; keep it level"),
    N_("The head is turned %(degrees)s degrees; look straight at the camera"),
    N_("Turn the head slightly to the left (it is turned %(degrees)s degrees)"),
    N_("Turn the head slightly to the right (it is turned %(degrees)s degrees)"),
    N_("Only people invited to the meeting can be enrolled on its kiosk"),
    N_("Kiosk %(id)s not found"),
    N_("This kiosk was not asked to enrol this person"),
    N_("no face found"),
    N_("Record the person's consent to face check-in before enrolling a face"),
    N_("Face %(id)s not found"),
    N_("thresholds need 0 < accept <= grey"),
    N_("the margin cannot be negative"),
    N_("The face engine restarted; try again"),
    N_("The face engine is shutting down"),
    N_("The face engine is busy; try again in a moment"),
    N_("A newer frame took this one's turn"),
    N_("That name was not offered for this face"),
    # voting
    N_("Your account is not active"),
    N_("Poll %(id)s not found"),
    N_("This poll takes a choice, not text"),
    N_("This poll takes one `choice`, not `choices`"),
    N_("Choose an option (or abstain)"),
    N_("Unknown choice %(choice)s; choose one of %(allowed)s"),
    N_("This poll takes `choices` (a list)"),
    N_("Unknown options: %(options)s"),
    N_("An option is chosen twice"),
    N_("Choose between %(low)s and %(high)s options"),
    N_("An opinion poll takes `text` (and `agree`)"),
    N_("This poll does not ask agree or disagree"),
    N_("Write an opinion (or say whether you agree)"),
    N_("The poll is %(status)s: no more ballots"),
    N_("The poll is not open yet"),
    N_("The deadline passed at %(time)s"),
    N_("A ballot was already cast; this poll does not allow changes"),
    N_("A ballot was already cast; a secret ballot cannot be changed"),
    N_("You are not invited to this meeting"),
    N_("You have no voting right in this meeting"),
    N_("Check in first: this poll is for members present in the hall"),
    N_("You do not hold the proxy of %(name)s"),
    N_("%(name)s has no voting right in this meeting"),
    N_("Check in first: a proxy counts only while its holder is present"),
    N_("%(name)s is present and votes in person"),
    N_("Agenda item %(id)s is not in this meeting"),
    N_("Document %(id)s is not in this meeting"),
    N_("Document %(id)s has no version %(number)s"),
    N_("document_version needs document_id"),
    N_("Only the chair or the secretariat may run polls"),
    N_("The deadline has already passed"),
    N_(
        "Quorum not met: %(present)s of %(members)s members with a voting right are present, "
        "%(required)s needed (%(basis)s quorum %(rule)s)"
    ),
    N_("No one with a voting right is invited to the meeting: nobody could vote"),
    N_("A %(status)s poll has no result yet"),
    N_("The result has not been published yet"),
    N_("A %(status)s poll cannot be changed"),
    N_("A %(status)s poll cannot be deleted"),
    N_("A %(status)s poll cannot be opened"),
    N_("A %(status)s poll cannot be closed"),
    N_("A %(status)s poll cannot be published"),
    N_("A %(status)s poll cannot be cancelled"),
    N_("Someone already holds this member's proxy"),
    N_("Proxy %(id)s not found"),
    N_("Person %(id)s is not invited to this meeting"),
    N_("Person %(id)s has no voting right to hand over"),
    N_("The holder has given their own proxy away"),
    N_("The represented member holds proxies of others"),
    # confirming the voter's face (voting.face_check, voting.permits, web.api.face_check)
    N_("Confirm your face before voting"),
    N_("The face confirmation has expired or was already used: confirm your face again"),
    N_("This poll does not ask to confirm the voter's face"),
    N_("You have no enrolled face: ask the desk to check you"),
    N_("No face was found: look straight at the camera"),
    N_("Several faces are in the picture: only the voter may be in front of the camera"),
    N_("The face does not match the voter: ask the desk to check you"),
    N_("Liveness was not shown: blink or turn your head slowly while the camera looks"),
    N_("Send at most %(count)s frames"),
    N_("A frame is larger than 2 MB"),
    N_("Choose the member and say what the desk checked"),
    # the models' validators (pydantic passes their ValueError on)
    N_("quorum_fraction must look like 1/2 or 2/3"),
    N_("quorum_fraction cannot exceed 1"),
    N_("A secret ballot cannot be changed once cast"),
    N_("Give quorum_count or quorum_fraction, not both"),
    N_("opinion_agree applies to opinion polls only"),
    N_("A choice poll needs at least two options"),
    N_("Every option needs a label of 1 to 300 characters"),
    N_("Two options have the same label"),
    N_("A %(kind)s poll takes no options"),
    N_("Need min_choices ≤ max_choices ≤ the number of options"),
    N_("An opinion poll has no majority rule"),
    N_("A yes/no poll takes the simple, absolute or two-thirds rule"),
    N_("A choice poll takes plurality, absolute or two-thirds"),
    N_("A member cannot hold their own proxy"),
    # records
    N_("The stored file %(name)s is missing from the data folder"),
    N_("The archive's rows do not fit together: %(reason)s"),
    N_("This is not a meeting archive (not a zip file)"),
    N_("The archive is damaged: %(reason)s"),
    N_("The archive holds more than %(count)s files"),
    N_("The archive holds two files of the same name"),
    N_("Unexpected file in the archive: %(name)s"),
    N_("%(name)s is larger than %(size)s bytes"),
    N_(
        "%(name)s nests its values more than %(depth)s levels deep (or its brackets do not "
        "match): it was not written by Hop"
    ),
    N_("The archive has no %(name)s"),
    N_("%(name)s is not valid JSON: %(reason)s"),
    N_("This is not a Hop meeting archive"),
    N_("Archive format version %(version)s is not supported (this Hop reads version %(ours)s)"),
    N_("Not a sha256 digest: %(value)s"),
    N_("The file %(sha)s is larger than the upload limit"),
    N_("The file %(sha)s does not match its sha256: it was altered"),
    N_("The archive lacks the file %(sha)s"),
    N_("The file %(name)s is not listed in %(listing)s"),
    N_("The archive's agenda holds more than %(count)s items"),
    N_("people[%(index)s]: needs an id and a valid username"),
    N_("%(where)s: %(column)s %(value)s refers to nothing in the archive"),
    N_("%(where)s: a row must be an object"),
    N_("%(name)s must be a list"),
    N_("The meeting has no minutes yet"),
    N_("The meeting has no minutes version %(number)s yet"),
    N_("The minutes are final: make a correction to change them"),
    N_("The minutes are drafted already: edit the draft or redraft it"),
    N_("The minutes have no section %(key)s"),
    N_("The current version is still a draft: edit it instead"),
    N_("Version %(number)s of the minutes is final: make a correction to change it"),
    N_("The minutes were changed at the same time; try again"),
    # core
    N_("The %(format)s image cannot be re-encoded"),
    N_("Not an image: only JPEG, PNG, WebP and HEIC photos are accepted"),
    N_("The WebP image is truncated"),
    N_("Not a valid WebP image: no image data"),
    N_("Not a valid WebP image: bad frame header"),
    N_("The HEIF image is truncated"),
    N_("Not a valid HEIF image: bad box size"),
    N_("Not a valid HEIF image: the primary image is missing"),
    N_("Not a valid HEIF image: the image size is missing"),
    N_("Not a valid HEIF image: bad item properties"),
    N_("Not a valid HEIF image: too many boxes"),
    N_("The image is empty"),
    N_("Not a valid PNG image: the IHDR header is missing"),
    N_("The PNG image is truncated"),
    N_("The JPEG image is truncated"),
    N_("Not a valid JPEG image: bad frame header"),
    N_("Not a valid JPEG image: no frame header"),
    N_("Not a valid JPEG image: bad marker"),
    N_("Not a valid JPEG image: it ends before any scan"),
    N_("Not a valid JPEG image: bad segment length"),
    N_("Not a valid image: zero width or height"),
    N_("The image is larger than %(size)s MB"),
    N_("The image has %(width)sx%(height)s pixels; at most %(megapixels)s megapixels are accepted"),
    # comment rounds, drafts and written consultations (issue 17)
    N_("A draft has at most %(MAX_SECTIONS)s sections"),
    N_("No section at position %(position)s"),
    N_("No such comment in this round"),
    N_("At most %(COMMENT_TEXT_MAX)s characters"),
    N_("Merge with another comment of this round"),
    N_("Only a merged answer names another comment"),
    N_("Only an open round sends reminders"),
    N_("No such comment round"),
    N_("Only the secretariat and the drafting body see all comments"),
    N_("Only the secretariat or the chair runs a comment round"),
    N_("The document is not one of this meeting's"),
    N_("The document has no version yet"),
    N_("Give a title (at most %(ROUND_TITLE_MAX)s characters)"),
    N_("The deadline must be in the future"),
    N_("A round needs at least one member"),
    N_("Too many people"),
    N_("Only a round in preparation can be opened"),
    N_("Split the draft into articles before opening the round"),
    N_("Only an open round can be closed"),
    N_("You are not asked for comments in this round"),
    N_("The round is not open for comments (closed or past its deadline)"),
    N_("At most %(MAX_COMMENTS)s comments"),
    N_("A comment has at most %(COMMENT_TEXT_MAX)s characters"),
    N_("A comment on the whole draft is 'general'; one on an article is not"),
    N_("No such article or clause in this draft"),
    N_("One comment per article or clause"),
    N_("Say why, in the comment's text"),
    N_("Give the wording you propose"),
    N_("This is not a written consultation"),
    N_("This consultation was sent already"),
    N_("Only a consultation not yet sent can be sent"),
    N_("Ask 1 to %(MAX_QUESTIONS)s questions"),
    N_("Choose a majority rule for agree / disagree"),
    N_("Each question needs a title (at most 300 characters)"),
    N_("Nothing was asked yet"),
    N_("The result is signed off already"),
    N_("Some questions are still open: sign off after the deadline"),
    N_("The report is made final once the round has closed"),
    N_("The report is final: no version comes after it"),
    N_("An opinion poll without agree / disagree has no majority rule"),
    N_("Agree / disagree takes the simple, absolute or two-thirds rule"),
    N_("The split can be changed only before the round opens"),
    N_("No such document in this meeting"),
    N_("No such version of the report"),
    N_("The result has not been signed off yet"),
    N_("Only an open round's members can be reminded"),
    N_(
        "This document has no text layer to split into articles (a scanned PDF?): "
        "upload a DOCX or a PDF with text"
    ),
    N_(
        "No article (Điều 1. ...) was found in this document's text: "
        "it cannot be split into articles"
    ),
    # signed records
    N_("The time-stamp server did not answer."),
    N_("The document could not be signed."),
    N_("The file is damaged and cannot be read as a PDF."),
    N_("The certificate may not be used to sign documents."),
    N_("The file is not a PDF."),
    N_("The file is not a signed poll result."),
    N_("The signed result's poll or result is not an object."),
    N_("The file is not JSON."),
    N_("The key file is not a PKCS#12 file."),
    N_("The key file holds no private key."),
    N_("The key file holds no certificate."),
    N_("The key in the key file cannot sign."),
    N_("The passphrase does not open the key file."),
    N_("The certificate is not valid at this time."),
    N_("The certificate is not issued by a trusted authority."),
    N_("No certificate has been uploaded."),
    N_("This record is already being signed."),
    N_("Choose at least one signer."),
    N_("Every signer but the seal is a person."),
    N_("A person signs a record only once."),
    N_("A chosen signer does not exist."),
    N_("No such record to sign."),
    N_("You are not a signer of this record."),
    N_("This record has been signed by everyone already."),
    N_("Upload your signing certificate first."),
    N_("No seal certificate is configured on this server."),
    N_("Only a PDF document can be signed."),
    N_("Only the final version of the report can be signed."),
    N_("Only final minutes can be signed: finalise them first."),
    N_("Earlier signers have not signed yet: wait for your turn."),
    N_("Stored encrypted data has an unknown format."),
    N_("Stored encrypted data does not decrypt: was the secret key changed?"),
    N_("Only the secretariat can publish a record."),
    N_("The file is empty."),
    N_("The file is too large."),
    # operations (web.metrics_route)
    N_("The metrics need a token: Authorization: Bearer and the HOP_METRICS_TOKEN"),
    N_("The metrics token is wrong"),
    N_("The metrics are served only to the addresses in HOP_METRICS_ALLOW"),
    # encrypted secret ballots (voting.encrypted_polls, voting.encrypted_committee)
    N_("An opinion poll cannot be encrypted"),
    N_("The threshold must lie between 2 and the number of trustees"),
    N_("A trustee is named twice"),
    N_("Every trustee must be a participant of the meeting"),
    N_("This poll is not an encrypted secret ballot"),
    N_("The vote-counting committee has not finished setting up"),
    N_("The vote-counting committee has not finished setting up: the poll cannot open yet"),
    N_("Only the poll's trustees may post to its board"),
    N_("A trustee may post only their own entries"),
    N_("Trustees post trustee, shares, confirm, complaint or partial"),
    N_("The entry's body does not have exactly its fields"),
    N_("The entry holds a value the board cannot take"),
    N_("The board does not take this entry now"),
    N_("The board entry was refused (%(check)s)"),
    N_("This ballot was already cast or revealed: encrypt anew"),
    N_("This ballot was cast: it cannot be revealed"),
    N_("The poll is not open"),
    N_("An encrypted poll cannot be changed: cancel it and draft anew"),
    N_("The trustees have not decrypted the result yet"),
    N_("This poll takes encrypted ballots only"),
    N_("The encrypted ballot was refused (%(check)s)"),
    N_("The revealed ballot was refused (%(check)s)"),
    N_("A %(status)s poll cannot be set up again"),
    N_("The key setup of this poll has not failed: it cannot be set up again"),
)

WEB = (
    N_("Wrong username or password"),
    N_("A kiosk device token is required"),
    N_("Send the image as a body or a `photo` file"),
    N_("Only the secretariat or the meeting's chair may change documents"),
    N_("E-mail is not set up on this server (HOP_SMTP_HOST)"),
    N_("The mail server could not be used: %(reason)s"),
    N_("The CSV file is larger than 2 MB"),
    N_("The CSV file must be UTF-8 text"),
    N_("Only the chair or the secretariat may add someone else"),
    N_("Unknown meeting %(id)s"),
    N_("A valid device token is required"),
    N_("Missing or wrong CSRF token; reload the page"),
    N_("Please log in"),
    N_("Device %(id)s not found"),
    N_("The face engine is not running"),
    N_("Only an administrator may read the audit trail"),
    N_("Open the kiosk with a kiosk device token"),
    N_("The form's sections do not match"),
    N_("Log in or use a device token"),
    N_(
        "The link of this screen is not valid or was revoked. "
        "Ask the secretariat to pair the screen again from the Devices page."
    ),
    N_("No screen is waiting with this code"),
    N_("This pairing code has expired"),
    N_("Devices cannot vote: log in as a delegate"),
    N_("That name was not offered for a face in front of the kiosk"),
    N_("Something went wrong on the server; the error was logged"),
    N_("A number is out of range or a text holds a character that cannot be stored"),
    N_("Something went wrong"),
    N_("Not JSON"),
    N_("Not an object"),
    N_("Unknown type %(kind)s"),
    # web.ratelimit's refusals, in English on the websockets
    N_("Too many failed logins. Try again in %(seconds)s seconds."),
    N_("Too many frames from this kiosk. Send again in %(seconds)s seconds."),
    N_("Too many ballots in a short time. Send again in %(seconds)s seconds."),
    N_("Too many pairing codes from this address. Try again in %(seconds)s seconds."),
    # a field's name and what is wrong with it (websocket ballots, archive rows)
    N_("%(field)s: %(message)s"),
    # Starlette's words for a status
    N_("Bad Request"),
    N_("Unauthorized"),
    N_("Forbidden"),
    N_("Not Found"),
    N_("Method Not Allowed"),
    N_("Request Entity Too Large"),
    N_("Content Too Large"),
    N_("Unsupported Media Type"),
    N_("Unprocessable Entity"),
    N_("Unprocessable Content"),
    N_("Too Many Requests"),
    N_("Internal Server Error"),
    N_("Service Unavailable"),
)

# pydantic's messages, where a domain passes one on (voting.polls, websocket ballots, archives).
PYDANTIC = (
    N_("Field required"),
    N_("String should have at most %(count)s characters"),
    N_("String should have at most %(count)s character"),
    N_("String should have at least %(count)s characters"),
    N_("String should have at least %(count)s character"),
    N_("Input should be a valid integer, unable to parse string as an integer"),
    N_("Input should be a valid integer"),
    N_("Input should be a valid string"),
    N_("Input should be a valid list"),
    N_("Input should be a valid boolean, unable to interpret input"),
    N_("Input should be a valid number, unable to parse string as a number"),
    N_("Input should be greater than or equal to %(limit)s"),
    N_("Input should be less than or equal to %(limit)s"),
    N_("Input should be greater than %(limit)s"),
    N_("Input should be less than %(limit)s"),
    N_("Input should be %(expected)s"),
    N_("Value error, %(message)s"),
    N_("Extra inputs are not permitted"),
)

MESSAGES = DOMAIN + WEB + PYDANTIC

# Stored codes that stand in a message (statuses, kinds, whose quorum): one word each.
WORDS = {
    "draft": N_("draft"),
    "scheduled": N_("scheduled"),
    "in_progress": N_("in progress"),
    "closed": N_("closed"),
    "cancelled": N_("cancelled"),
    "open": N_("open"),
    "published": N_("published"),
    "waiting": N_("waiting"),
    "speaking": N_("speaking"),
    "done": N_("done"),
    "withdrawn": N_("withdrawn"),
    "yes_no": N_("yes/no"),
    "single": N_("single-choice"),
    "multiple": N_("multiple-choice"),
    "opinion": N_("opinion"),
    "meeting": N_("the meeting's"),
    "poll": N_("the poll's own"),
    # What a refused PDF holds (meetings.pdfcheck), listed with commas in its message.
    "JavaScript": N_("JavaScript code"),
    "embedded files": N_("embedded files"),
    "an XFA form (it can run scripts)": N_("an XFA form (it can run scripts)"),
    "embedded media": N_("embedded media"),
    "a launch action": N_("an action that launches a program"),
    "an import-data action": N_("an action that imports data"),
}

# Form fields by their name, for validation messages.
FIELDS = {
    "title": N_("Title"),
    "description": N_("Description"),
    "location": N_("Location"),
    "full_name": N_("Full name"),
    "username": N_("Username"),
    "password": N_("Password"),
    "email": N_("E-mail"),
    "phone": N_("Phone"),
    "role": N_("Role"),
    "unit_id": N_("Unit"),
    "presenter": N_("Presenter"),
    "planned_minutes": N_("Planned minutes"),
    "reason": N_("Reason"),
    "note": N_("Note"),
    "text": N_("Text"),
    "name": N_("Device name"),
    "code": N_("Pairing code"),
    "file": N_("File"),
    "photo": N_("Photo"),
    "person_id": N_("Person"),
    "agenda_item_id": N_("Agenda item"),
    "meeting_id": N_("Meeting"),
    "document_id": N_("Document"),
    "seat_label": N_("Seat"),
    "reply": N_("Reply"),
    "page": N_("Page"),
    "q": N_("Search"),
    "action": N_("Action"),
    "actor": N_("Actor"),
    "kind": N_("Kind"),
    "client_id": N_("Note id"),
    "version": N_("Version"),
    "x": N_("Point on the page"),
    "y": N_("Point on the page"),
    "body": N_("Comment"),
    "exact": N_("Quoted text"),
}
A_FIELD = N_("A field")

# A validation error by pydantic's type; %(field)s is the field's label.
VALIDATION = {
    "missing": N_("%(field)s: this field is required."),
    "string_too_long": N_("%(field)s: at most %(max_length)s characters."),
    "string_too_short": N_("%(field)s: at least %(min_length)s characters."),
    "int_parsing": N_("%(field)s: enter a whole number."),
    "int_type": N_("%(field)s: enter a whole number."),
    "int_from_float": N_("%(field)s: enter a whole number."),
    "float_parsing": N_("%(field)s: enter a number."),
    "greater_than_equal": N_("%(field)s: at least %(ge)s."),
    "less_than_equal": N_("%(field)s: at most %(le)s."),
    "greater_than": N_("%(field)s: more than %(gt)s."),
    "less_than": N_("%(field)s: less than %(lt)s."),
    "bool_parsing": N_("%(field)s: choose yes or no."),
    "enum": N_("%(field)s: choose one of the listed values."),
    "literal_error": N_("%(field)s: choose one of the listed values."),
    "nul_character": N_("%(field)s: this text holds a NUL character, which cannot be stored."),
    "year_out_of_range": N_("%(field)s: enter a date between the years 2000 and 2999."),
    "end_before_start": N_("%(field)s: the end must be after the start."),
    "json_invalid": N_("The request is not valid JSON."),
}
INVALID_VALUE = N_("%(field)s: this value is not valid.")

# What an error page says when the detail is not in the table: one sentence per status.
GENERIC = {
    400: N_("The request could not be used."),
    401: N_("Log in to continue."),
    403: N_("You are not allowed to do this."),
    404: N_("This page or item does not exist, or no longer exists."),
    405: N_("This address does not take this kind of request: go back to the page and try again."),
    409: N_("This cannot be done now: reload the page to see the current state."),
    413: N_("The file or the request is too large."),
    415: N_("This type of file is not accepted."),
    422: N_("Some of what was entered cannot be used: check it and try again."),
    429: N_("Too many attempts: wait a moment and try again."),
    503: N_("The server is busy: try again in a moment."),
}
GENERIC_OTHER = N_("Something went wrong on the server; the error was logged.")

# The title of an error page by status.
TITLES = {
    401: N_("Log in"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    409: N_("Not possible now"),
    413: N_("Too large"),
    415: N_("Not accepted"),
    422: N_("Please check what was entered"),
    429: N_("Too many attempts"),
}
TITLE_OTHER = N_("Something went wrong")

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class _Pattern:
    msgid: str
    regex: re.Pattern[str]


def _compile(msgid: str) -> _Pattern:
    pieces = _PLACEHOLDER.split(msgid)
    # split() alternates literal text and placeholder names: text, name, text, name, text…
    regex = "".join(
        re.escape(piece) if index % 2 == 0 else f"(?P<{piece}>.+?)"
        for index, piece in enumerate(pieces)
    )
    return _Pattern(msgid, re.compile(regex, re.DOTALL))


@cache
def _tables() -> tuple[frozenset[str], tuple[_Pattern, ...]]:
    exact = frozenset(m for m in MESSAGES if not _PLACEHOLDER.search(m))
    patterns = [_compile(m) for m in MESSAGES if _PLACEHOLDER.search(m)]
    # The most literal text first: a specific message before a general one that also fits.
    patterns.sort(key=lambda p: -len(_PLACEHOLDER.sub("", p.msgid)))
    return exact, tuple(patterns)


def entry_for(detail: str) -> str | None:
    """The table's message for a detail (its msgid), or None when the table lacks it."""
    exact, patterns = _tables()
    if detail in exact:
        return detail
    return next((p.msgid for p in patterns if p.regex.fullmatch(detail)), None)


def translate(detail: str, gettext: Gettext, depth: int = 0) -> str | None:
    """The detail in the reader's language, or None when the table does not know it."""
    exact, patterns = _tables()
    if detail in exact:
        return gettext(detail)
    if detail in WORDS:
        return gettext(WORDS[detail])
    if ", " in detail and all(part in WORDS for part in detail.split(", ")):
        return ", ".join(gettext(WORDS[part]) for part in detail.split(", "))
    if depth >= DEPTH:
        return None
    for pattern in patterns:
        match = pattern.regex.fullmatch(detail)
        values = _values(match.groupdict(), gettext, depth) if match else None
        if values is not None:
            return gettext(pattern.msgid) % values
    return None


def _values(groups: Mapping[str, str], gettext: Gettext, depth: int) -> dict[str, str] | None:
    """What the placeholders held, translated where it is a message or a word; None when a
    required message is not one the table knows."""
    values: dict[str, str] = {}
    for name, text in groups.items():
        said = translate(text, gettext, depth + 1)
        if said is None and name in REQUIRED:
            return None
        values[name] = said if said is not None else text
    return values


def say(detail: str, status: int, gettext: Gettext) -> str:
    """The detail in the reader's language, else the general sentence for its status."""
    said = translate(detail, gettext)
    return said if said is not None else generic(status, gettext)


def field_label(name: str, gettext: Gettext) -> str:
    """A form field's label by its name, or "A field" for one not listed."""
    return gettext(FIELDS.get(name, A_FIELD))


def validation_message(item: Mapping[str, Any], gettext: Gettext) -> str:
    """One pydantic validation error in the reader's language, naming the field."""
    location = [str(part) for part in item.get("loc", ())]
    name = location[-1] if location else ""
    ctx: Mapping[str, Any] = item.get("ctx") or {}
    if item.get("type") == "value_error" and "error" in ctx:
        said = translate(str(ctx["error"]), gettext)
        if said is not None:
            return gettext("%(field)s: %(message)s") % {
                "field": field_label(name, gettext),
                "message": said,
            }
    msgid = VALIDATION.get(str(item.get("type")), INVALID_VALUE)
    values = {key: str(value) for key, value in ctx.items()}
    try:
        return gettext(msgid) % {**values, "field": field_label(name, gettext)}
    except KeyError:  # a type we know without the context it usually has
        return gettext(INVALID_VALUE) % {"field": field_label(name, gettext)}


def generic(status: int, gettext: Gettext) -> str:
    """What a page says for a status when it cannot say more in the reader's language."""
    return gettext(GENERIC.get(status, GENERIC_OTHER))


def title(status: int, gettext: Gettext) -> str:
    """The heading of the error page for a status."""
    return gettext(TITLES.get(status, TITLE_OTHER))


class Detail(str):
    """A domain error's English detail, to show beside a form field: a page's _() translates
    it with this table, falling back to `fallback` when the table lacks it."""

    fallback: str

    def __new__(cls, text: str, fallback: str) -> "Detail":
        detail = super().__new__(cls, text)
        detail.fallback = fallback
        return detail
