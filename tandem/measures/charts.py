"""Trend charts as server-rendered SVG: scores over time on shaded severity bands, with markers.

No JavaScript and no charting library: each chart is a small SVG string built
here from numbers and labels, escaped, scaled by its viewBox (so it fits a
375 px phone) and printable. Every chart has ``role="img"`` and an
``aria-label`` summary; the page puts a data table beside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from tandem.measures.instruments import INSTRUMENTS
from tandem.measures.instruments.gad import GAD7_BANDS
from tandem.measures.instruments.phq import PHQ9_BANDS

WIDTH, HEIGHT = 480, 264
LEFT, RIGHT, TOP, BOTTOM = 40, 14, 42, 46
#: Medication labels (℞1, ℞2…) closer than this many units stack into rows above the plot.
LABEL_GAP = 28
LABEL_ROWS = 2
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

#: Published severity bands drawn behind the line: (low, high, label).
BANDS: dict[str, tuple[tuple[int, int, str], ...]] = {
    "phq-9": PHQ9_BANDS,
    "gad-7": GAD7_BANDS,
    # PCL-5: below / at or above the National Center for PTSD's provisional cut-off of 33.
    "pcl-5": ((0, 32, "below cut-off"), (33, 80, "probable PTSD")),
}
#: Band fills from calm to alarming; light enough for the line and text to keep 4.5:1 contrast.
FILLS = ("#e7f5ec", "#f3f7e1", "#fff4e0", "#fde7d7", "#fdecec")


@dataclass(frozen=True)
class Point:
    at: dt.datetime
    value: float
    label: str  # what the point's tooltip says, e.g. "Mar 2, 2026: 12 (moderate)"


@dataclass(frozen=True)
class Mark:
    at: dt.datetime
    kind: str  # "medication" or "appointment"
    label: str


@dataclass(frozen=True)
class Axis:
    """The shared time axis of every chart on a page, so events line up across charts."""

    start: dt.datetime
    end: dt.datetime

    @classmethod
    def around(cls, moments: Sequence[dt.datetime]) -> Axis:
        """Return an axis spanning ``moments`` with a little room on both sides."""
        if not moments:
            now = dt.datetime.now(dt.UTC)
            return cls(now - dt.timedelta(days=28), now + dt.timedelta(days=1))
        start, end = min(moments), max(moments)
        span = max(end - start, dt.timedelta(days=14))
        # At least two weeks wide, reaching back from the latest moment, so ticks fall on
        # different days.
        start = min(start, end - span)
        pad = span / 20
        return cls(start - pad, end + pad)

    def x(self, at: dt.datetime) -> float:
        total = (self.end - self.start).total_seconds() or 1.0
        return LEFT + PLOT_W * (at - self.start).total_seconds() / total

    def ticks(self, count: int = 5) -> list[dt.datetime]:
        step = (self.end - self.start) / count
        return [self.start + step * (i + 0.5) for i in range(count)]

    def tick_labels(self, count: int = 5) -> list[tuple[dt.datetime, str]]:
        """Return the time axis' ticks with their labels, none repeated.

        Spans longer than about ten months are labelled by month and year ("Mar 2026"),
        shorter ones by day ("Mar 2"); a tick whose label repeats its neighbour's is dropped.
        """
        long_span = (self.end - self.start) > dt.timedelta(days=300)
        labelled: list[tuple[dt.datetime, str]] = []
        for tick in self.ticks(count):
            local = timezone.localtime(tick) if timezone.is_aware(tick) else tick
            text = f"{local:%b} {local.year}" if long_span else day(tick, year=False)
            if not labelled or labelled[-1][1] != text:
                labelled.append((tick, text))
        return labelled


def day(at: dt.datetime | dt.date, year: bool = True) -> str:
    """Return "Mar 2, 2026" (or "Mar 2") in the current time zone, on every platform."""
    if isinstance(at, dt.datetime):
        at = timezone.localtime(at) if timezone.is_aware(at) else at
    return f"{at:%b} {at.day}, {at.year}" if year else f"{at:%b} {at.day}"


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def instrument_range(code: str) -> int:
    """Return the highest total the instrument can score (the chart's top)."""
    instrument = INSTRUMENTS[code]
    return sum(max(item.values) for item in instrument.items if item.scored)


def _y(value: float, top: float) -> float:
    return TOP + PLOT_H * (1 - value / top) if top else TOP + PLOT_H


def chart(
    *,
    title: str,
    points: Sequence[Point],
    axis: Axis,
    top: float,
    bands: Sequence[tuple[int, int, str]] = (),
    marks: Sequence[Mark] = (),
    unit: str = "",
) -> SafeString:
    """Return one chart: bands shaded, the points joined in time order, markers on the axis."""
    parts: list[str] = []
    for index, (low, high, label) in enumerate(bands):
        y_top, y_bottom = _y(min(high + 1, top), top), _y(low, top)
        fill = FILLS[min(index * len(FILLS) // max(len(bands), 1), len(FILLS) - 1)]
        parts.append(
            f'<rect class="band" x="{LEFT}" y="{_num(y_top)}" width="{PLOT_W}" '
            f'height="{_num(y_bottom - y_top)}" fill="{fill}"><title>{escape(label)}: '
            f"{low} to {high}</title></rect>"
        )
        parts.append(
            f'<text x="{WIDTH - RIGHT - 4}" y="{_num(y_top + 13)}" text-anchor="end" '
            f'class="band-label" font-size="11" fill="#4a5868">{escape(label)}</text>'
        )
    # Value axis: the bottom, the top, and each band boundary.
    ticks = sorted({0, int(top), *(low for low, _, _ in bands)})
    for value in ticks:
        y = _num(_y(value, top))
        parts.append(f'<line x1="{LEFT - 4}" x2="{LEFT}" y1="{y}" y2="{y}" stroke="#4a5868"/>')
        parts.append(
            f'<text x="{LEFT - 7}" y="{y}" dy="4" text-anchor="end" font-size="12" '
            f'fill="#1d2733">{value}</text>'
        )
    parts.append(
        f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + PLOT_H}" stroke="#4a5868"/>'
        f'<line x1="{LEFT}" x2="{LEFT + PLOT_W}" y1="{TOP + PLOT_H}" y2="{TOP + PLOT_H}" '
        f'stroke="#4a5868"/>'
    )
    for tick, text in axis.tick_labels():
        x = _num(axis.x(tick))
        parts.append(
            f'<line x1="{x}" x2="{x}" y1="{TOP + PLOT_H}" y2="{TOP + PLOT_H + 4}" stroke="#4a5868"/>'
            f'<text x="{x}" y="{TOP + PLOT_H + 17}" text-anchor="middle" font-size="12" '
            f'fill="#1d2733">{text}</text>'
        )
    rows = label_rows([axis.x(m.at) for m in marks if m.kind == "medication"])
    medication_number = 0
    for number, mark in enumerate(marks, start=1):
        x = _num(axis.x(mark.at))
        if mark.kind == "medication":
            row, label_x = rows[medication_number]
            label_y = TOP - 8 - 15 * row
            medication_number += 1
            parts.append(
                f'<g class="mark mark-medication"><title>{escape(mark.label)}, '
                f"{day(mark.at)}</title>"
                f'<line x1="{x}" x2="{x}" y1="{_num(label_y + 4)}" y2="{TOP + PLOT_H}" '
                f'stroke="#1f5f8b" stroke-width="2" stroke-dasharray="5 3"/>'
                f'<text x="{_num(label_x)}" y="{_num(label_y)}" text-anchor="middle" font-size="12" '
                f'fill="#1f5f8b" class="mark-label">℞{number}</text></g>'
            )
        else:
            base = TOP + PLOT_H + 22
            parts.append(
                f'<g class="mark mark-appointment"><title>{escape(mark.label)}, '
                f"{day(mark.at)}</title>"
                f'<path d="M{x} {base} l-5 8 h10 z" fill="#4a5868"/></g>'
            )
    ordered = sorted(points, key=lambda p: p.at)
    if len(ordered) > 1:
        line = " ".join(f"{_num(axis.x(p.at))},{_num(_y(p.value, top))}" for p in ordered)
        parts.append(f'<polyline points="{line}" fill="none" stroke="#1d2733" stroke-width="2.5"/>')
    for p in ordered:
        parts.append(
            f'<circle class="point" cx="{_num(axis.x(p.at))}" cy="{_num(_y(p.value, top))}" r="5" '
            f'fill="#1d2733"><title>{escape(p.label)}</title></circle>'
        )
    label = summary(title, ordered, unit)
    svg = (
        f'<svg class="trend-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg" '
        f'preserveAspectRatio="xMidYMid meet">{"".join(parts)}</svg>'
    )
    return mark_safe(svg)  # noqa: S308 - every value above is a number or escaped


def label_rows(xs: Sequence[float]) -> list[tuple[int, float]]:
    """Return (row, x) per label wanted at ``xs`` so that no two labels overlap.

    Labels are taken left to right; each goes in the lowest row (0 nearest the plot)
    whose last label is at least ``LABEL_GAP`` to its left. When every row is taken, the
    label goes in the row free the soonest, moved right just far enough.
    """
    last: list[float] = [float("-inf")] * LABEL_ROWS
    placed = [(0, 0.0)] * len(xs)
    for index in sorted(range(len(xs)), key=lambda i: xs[i]):
        x = xs[index]
        free = [r for r in range(LABEL_ROWS) if x - last[r] >= LABEL_GAP]
        row = free[0] if free else min(range(LABEL_ROWS), key=lambda r: last[r])
        at = max(x, last[row] + LABEL_GAP)
        placed[index], last[row] = (row, at), at
    return placed


def summary(title: str, points: Sequence[Point], unit: str = "") -> str:
    """Return the sentence a screen reader hears for a chart."""
    if not points:
        return f"{title}: no values yet."
    first, last = points[0], points[-1]
    suffix = f" {unit}" if unit else ""
    if len(points) == 1:
        return f"{title}: one value, {_num(first.value)}{suffix} on {day(first.at)}."
    return (
        f"{title}: {len(points)} values from {day(first.at)} to {day(last.at)}; "
        f"first {_num(first.value)}{suffix}, latest {_num(last.value)}{suffix}. "
        "The table below lists every value."
    )


def as_float(value: Decimal | int) -> float:
    return float(value)


@dataclass
class ChartBlock:
    """One chart on a client's page, with the rows of its data table."""

    key: str
    title: str
    svg: SafeString
    rows: list[tuple[str, str, str, str]]  # date, value, band or unit, withheld line or source
    withheld: int = 0


def build_charts(measures: Any) -> tuple[list[ChartBlock], list[ChartBlock], list[Mark]]:
    """Return (questionnaire charts, tracker charts, markers) on one shared time axis.

    ``measures`` is a ``selectors.ClientMeasures``. Withheld results are not
    plotted; their table rows carry the withheld line instead of the score.
    """
    marks = [Mark(m.at, m.kind, m.label) for m in measures.markers]
    moments = [m.at for m in marks]
    for shown in measures.responses:
        if shown.shown and shown.response.total is not None:
            moments.append(shown.response.entered_at)
    for tracker in measures.trackers:
        if tracker.shown:
            moments += [_midday(e.recorded_on) for e in tracker.entries]
    axis = Axis.around(moments)
    blocks: list[ChartBlock] = []
    for code, responses in measures.by_instrument.items():
        instrument = INSTRUMENTS[code]
        points, rows, withheld = [], [], 0
        for shown in responses:
            r = shown.response
            when = day(r.entered_at)
            if not shown.shown:
                withheld += 1
                rows.append((when, "—", "", shown.withheld_label))
                continue
            value = "incomplete" if r.total is None else str(r.total)
            note = r.get_source_display()
            if r.prorated:
                note += " (prorated)"
            if r.safety_note:
                note += f" — {r.safety_note}"
            rows.append((when, value, r.band or _positive(r.positive), note))
            if r.total is not None:
                points.append(Point(r.entered_at, r.total, f"{when}: {r.total} {r.band}".strip()))
        svg = (
            chart(
                title=instrument.name,
                points=points,
                axis=axis,
                top=instrument_range(code),
                bands=BANDS.get(code, ()),
                marks=marks,
            )
            if code in BANDS or instrument_range(code) > 0
            else mark_safe("")
        )
        if code == "c-ssrs-screen":
            svg = mark_safe("")  # the screener has no total to plot; its table says it all
        blocks.append(ChartBlock(code, instrument.name, svg, rows, withheld))
    tracker_blocks: list[ChartBlock] = []
    for shown_tracker in measures.trackers:
        tracker = shown_tracker.tracker
        title = f"{tracker.name} ({tracker.unit})"
        if not shown_tracker.shown:
            tracker_blocks.append(
                ChartBlock(str(tracker.public_id), title, mark_safe(""),
                           [("", "—", "", shown_tracker.withheld_label)], 1)
            )  # fmt: skip
            continue
        values = [float(e.value) for e in shown_tracker.entries]
        top = max([*values, 1.0]) * 1.15
        points = [
            Point(
                _midday(e.recorded_on),
                float(e.value),
                f"{day(e.recorded_on)}: {_num(float(e.value))}",
            )
            for e in shown_tracker.entries
        ]
        rows = [
            (day(e.recorded_on), _num(float(e.value)), tracker.unit, "")
            for e in shown_tracker.entries
        ]
        svg = chart(
            title=title,
            points=points,
            axis=axis,
            top=round(top + 0.49),
            marks=marks,
            unit=tracker.unit,
        )
        tracker_blocks.append(ChartBlock(str(tracker.public_id), title, svg, rows))
    return blocks, tracker_blocks, marks


def _midday(d: dt.date) -> dt.datetime:
    return dt.datetime.combine(d, dt.time(12), tzinfo=timezone.get_current_timezone())


def _positive(positive: bool | None) -> str:
    return {True: "positive screen", False: "negative screen", None: ""}[positive]
