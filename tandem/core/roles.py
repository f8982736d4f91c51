"""The roles people hold in Tandem (PRODUCT.md, "Who uses it")."""

from django.db import models


class Role(models.TextChoices):
    THERAPIST = "therapist", "Therapist"
    PRESCRIBER = "prescriber", "Prescriber"
    COORDINATOR = "coordinator", "Coordinator"
    PRACTICE_ADMIN = "practice_admin", "Practice admin"
    CLIENT = "client", "Client"


#: Roles held by clinicians and practice staff: MFA is mandatory for all of them.
STAFF_ROLES = frozenset({Role.THERAPIST, Role.PRESCRIBER, Role.COORDINATOR, Role.PRACTICE_ADMIN})
#: Roles that may sit on a client's care team.
CARE_TEAM_ROLES = frozenset({Role.THERAPIST, Role.PRESCRIBER, Role.COORDINATOR})
