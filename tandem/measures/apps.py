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
        from tandem.measures.timeline import case_reviews, questionnaire_results

        # (two sources, one a kind: their rows are read with the other sources' at once)
        register(
            (Kind.QUESTIONNAIRE,),
            questionnaire_results,
            tables={Kind.QUESTIONNAIRE: (QuestionnaireResponse, "client")},
        )
        register(
            (Kind.CASE_REVIEW,), case_reviews, tables={Kind.CASE_REVIEW: (CaseReview, "client")}
        )
