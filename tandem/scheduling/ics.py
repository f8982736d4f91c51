"""An iCalendar (RFC 5545) invite for an appointment, written with the standard library.

No PHI: the summary is just "Appointment"; no practice name (it would reveal
the specialty), no reason, no video link — the link is only inside Tandem.
"""

from __future__ import annotations

import datetime as dt

from tandem.scheduling.models import Appointment


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Fold a content line at 75 octets, as RFC 5545 section 3.1 asks."""
    raw = line.encode()
    if len(raw) <= 75:
        return line
    parts: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += encoded
    parts.append(current.decode())
    return "\r\n ".join(parts)


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def invite(appointment: Appointment, *, sign_in_url: str, now: dt.datetime) -> str:
    """Return the .ics text for ``appointment`` (CRLF line ends)."""
    status = "CANCELLED" if appointment.status == "cancelled" else "CONFIRMED"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Tandem//Booking//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{appointment.public_id}@tandem",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(appointment.starts_at)}",
        f"DTEND:{_utc(appointment.ends_at)}",
        f"SEQUENCE:{appointment.version}",
        "SUMMARY:Appointment",
        "DESCRIPTION:"
        + _escape(f"Sign in to Tandem for the details and the video link: {sign_in_url}"),
        f"URL:{sign_in_url}",
        f"STATUS:{status}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
