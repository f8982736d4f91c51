"""The trend charts stay readable: time labels never repeat, medication labels never overlap."""

import datetime as dt
import re

from tandem.measures import charts
from tandem.measures.charts import LABEL_GAP, Axis, Mark, Point

START = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)


def _labels(svg: str) -> list[tuple[float, float, str]]:
    return [
        (float(x), float(y), text)
        for x, y, text in re.findall(
            r'<text x="([\d.]+)" y="([\d.]+)"[^>]*class="mark-label">(℞\d+)</text>', svg
        )
    ]


def test_medication_changes_on_neighbouring_days_get_labels_that_do_not_overlap():
    # Given four medication changes within three days on a two-month chart
    marks = [
        Mark(START + dt.timedelta(days=20 + i), "medication", f"Change {i}") for i in (0, 1, 2, 2)
    ]
    axis = Axis.around([START, START + dt.timedelta(days=60), *(m.at for m in marks)])

    # When the chart is drawn
    svg = charts.chart(
        title="PHQ-9", points=[Point(START, 10, "10")], axis=axis, top=27, marks=marks
    )

    # Then every label is drawn, and any two on the same row are a label's width apart
    labels = _labels(svg)
    assert [text for _, _, text in labels] == ["℞1", "℞2", "℞3", "℞4"]
    for i, (x1, y1, _) in enumerate(labels):
        for x2, y2, _ in labels[i + 1 :]:
            assert y1 != y2 or abs(x1 - x2) >= LABEL_GAP


def test_time_axis_labels_are_distinct_on_short_and_on_year_long_charts():
    short = Axis.around([START, START + dt.timedelta(days=3)])
    long = Axis.around([START, START + dt.timedelta(days=420)])

    short_labels = [text for _, text in short.tick_labels()]
    long_labels = [text for _, text in long.tick_labels()]

    assert len(short_labels) == len(set(short_labels)) == 5
    assert short_labels[-1] == "Mar 4"
    assert len(long_labels) == len(set(long_labels))
    assert all(re.fullmatch(r"[A-Z][a-z]{2} \d{4}", t) for t in long_labels)
