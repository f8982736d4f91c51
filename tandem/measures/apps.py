from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "tandem.measures"
    label = "measures"

    def ready(self) -> None:
        # deferred: rules, receivers and timeline providers register once the app registry
        # is ready (Django's hook).
        from tandem.core.timeline import Kind, register
        from tandem.measures import access, tasks  # noqa: F401  (access rules; task receivers)
        from tandem.measures.models import CaseReview, QuestionnaireResponse
        from tandem.measures.timeline import results_and_reviews

        register(
            (Kind.QUESTIONNAIRE, Kind.CASE_REVIEW),
            results_and_reviews,
            tables={
                Kind.QUESTIONNAIRE: (QuestionnaireResponse, "client"),
                Kind.CASE_REVIEW: (CaseReview, "client"),
            },
        )
