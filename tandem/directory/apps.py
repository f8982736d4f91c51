from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "tandem.directory"
    label = "directory"
    verbose_name = "Directory: practice profiles, measured access and therapists' search"

    def ready(self) -> None:
        # deferred: Django's ready() hook (models must be loaded). Importing these registers
        # the access rule, the task receivers, the practice settings section, and the
        # directory search as the referral form's suggester.
        from tandem.directory import access, settings_views, tasks  # noqa: F401
        from tandem.directory.suggest import suggest_practices
        from tandem.referrals import suggestions

        suggestions.register(suggest_practices)
