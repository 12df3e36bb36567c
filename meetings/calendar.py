"""An iCalendar (.ics) entry for a meeting."""

from icalendar import Calendar, Event

from meetings.scheduling import meeting_window
from models import Meeting


def meeting_ics(meeting: Meeting, *, host: str = "hop") -> bytes:
    """A calendar with one event for the meeting."""
    calendar = Calendar()
    calendar.add("prodid", "-//Hop//Meeting server//VI")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    start, end = meeting_window(meeting)
    event = Event()
    event.add("uid", f"meeting-{meeting.id}@{host}")
    event.add("summary", meeting.title)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("dtstamp", start)
    if meeting.location:
        event.add("location", meeting.location)
    if meeting.description:
        event.add("description", meeting.description)
    event.add("status", "CANCELLED" if meeting.status == "cancelled" else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()
