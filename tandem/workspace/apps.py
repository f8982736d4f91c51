from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "tandem.workspace"
    label = "workspace"
