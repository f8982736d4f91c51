"""Every questionnaire Tandem scores, by code.

Each module holds one instrument's definition (items, response options and
values, licence, source) and the function that scores it as its authors
publish. ``INSTRUMENTS[code].score(responses, sex)`` checks the answers and
returns a :class:`Result`.
"""

from tandem.measures.instruments.asrs import ASRS_A
from tandem.measures.instruments.auditc import AUDIT_C
from tandem.measures.instruments.base import Instrument, Result, ScoringError
from tandem.measures.instruments.cssrs import CSSRS_SCREEN
from tandem.measures.instruments.gad import GAD2, GAD7
from tandem.measures.instruments.mdq import MDQ
from tandem.measures.instruments.pcl5 import PCL5
from tandem.measures.instruments.phq import PHQ2, PHQ9

INSTRUMENTS: dict[str, Instrument] = {
    instrument.code: instrument
    for instrument in (PHQ9, PHQ2, GAD7, GAD2, CSSRS_SCREEN, ASRS_A, MDQ, AUDIT_C, PCL5)
}


def get_instrument(code: str) -> Instrument:
    """Return the instrument called ``code``, or raise ScoringError naming the known codes."""
    try:
        return INSTRUMENTS[code]
    except KeyError:
        raise ScoringError(
            f"Unknown instrument {code!r}; known codes: {', '.join(INSTRUMENTS)}.", field="code"
        ) from None


__all__ = ["INSTRUMENTS", "Instrument", "Result", "ScoringError", "get_instrument"]
