"""Checks for uploaded signed releases: PDF only, size-capped, content checked."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile


def check_pdf(upload: UploadedFile, field: str = "file") -> None:
    """Raise ValidationError naming ``field`` unless ``upload`` is a PDF within the size cap.

    The browser's content type is only a hint; the file's own first bytes must say PDF.
    """
    cap = settings.MAX_UPLOAD_BYTES
    if upload.size is None or upload.size == 0:
        raise ValidationError({field: "The file is empty."})
    if upload.size > cap:
        raise ValidationError(
            {field: f"The file is larger than {cap // (1024 * 1024)} MB; upload a smaller PDF."}
        )
    name = (upload.name or "").lower()
    if not name.endswith(".pdf") or upload.content_type not in (
        "application/pdf",
        "application/x-pdf",
    ):
        raise ValidationError({field: "Upload a PDF file (.pdf)."})
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if head != b"%PDF-":
        raise ValidationError({field: "That file is not a PDF, whatever its name says."})
