"""The crisis lines Tandem lists, in one place, for emails (pages use ``_crisis_resources.html``).

988 is the national Suicide & Crisis Lifeline (call or text), 911 is for
immediate danger, and the Massachusetts Behavioral Health Help Line
(833-773-2445, call or text, 24/7, free) connects Massachusetts residents to
crisis and treatment services.
"""

MA_HELP_LINE = "833-773-2445"
TEXT = (
    "In a crisis, call or text 988 (Suicide & Crisis Lifeline), call 833-773-2445 "
    "(Massachusetts Behavioral Health Help Line, 24/7), or call 911."
)
