from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "tandem.measures"
    label = "measures"

    def ready(self) -> None:
        from tandem.core.timeline import Kind, register
        from tandem.measures import access  # noqa: F401  (registers the access rules)
        from tandem.measures.timeline import results_and_reviews

        register((Kind.QUESTIONNAIRE, Kind.CASE_REVIEW), results_and_reviews)
