"""People who sign in to Tandem. Email is the login."""

import uuid
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from tandem.core.usstates import US_STATES


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> "User":
        if not email:
            raise ValueError("Email is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


def display_name(preferred_name: str, full_name: str, email: str) -> str:
    """Return the name to greet a person by (``User.display_name``), from a row's values."""
    return preferred_name or full_name or email


class User(AbstractBaseUser, PermissionsMixin):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField("email address", max_length=254, unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    preferred_name = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="Platform operators who may use the Django admin."
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    @property
    def display_name(self) -> str:
        """Return the name to greet the user by."""
        return display_name(self.preferred_name, self.full_name, self.email)


class LicenceType(models.TextChoices):
    LICSW = "LICSW", "Licensed Independent Clinical Social Worker (LICSW)"
    LCSW = "LCSW", "Licensed Clinical Social Worker (LCSW)"
    LMHC = "LMHC", "Licensed Mental Health Counselor (LMHC)"
    LMFT = "LMFT", "Licensed Marriage and Family Therapist (LMFT)"
    PSYCHOLOGIST = "PSYCHOLOGIST", "Licensed Psychologist (PhD/PsyD)"
    MD = "MD", "Physician (MD)"
    DO = "DO", "Physician (DO)"
    PMHNP = "PMHNP", "Psychiatric Mental Health Nurse Practitioner (PMHNP)"


THERAPIST_LICENCES = frozenset(
    {
        LicenceType.LICSW,
        LicenceType.LCSW,
        LicenceType.LMHC,
        LicenceType.LMFT,
        LicenceType.PSYCHOLOGIST,
    }
)
PRESCRIBER_LICENCES = frozenset({LicenceType.MD, LicenceType.DO, LicenceType.PMHNP})


def validate_states(value: object) -> None:
    """Accept a non-empty list of two-letter US state codes."""
    if not isinstance(value, list) or not value:
        raise ValidationError("Name at least one state, as two-letter codes such as MA.")
    unknown = [s for s in value if s not in US_STATES]
    if unknown:
        raise ValidationError(
            "Unknown state code(s): %(codes)s. Use two-letter codes such as MA.",
            params={"codes": ", ".join(map(str, unknown))},
        )


class ClinicianProfile(models.Model):
    """The professional credentials of a therapist or prescriber."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="clinician_profile")
    licence_type = models.CharField(max_length=20, choices=LicenceType.choices)
    licence_number = models.CharField(max_length=40)
    licence_states = models.JSONField(
        default=list, validators=[validate_states], help_text="Two-letter state codes."
    )
    npi = models.CharField("NPI", max_length=10, blank=True)

    def __str__(self) -> str:
        return f"{self.licence_type} {self.licence_number}"
