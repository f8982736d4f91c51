from django.urls import path

from tandem.audit.reports import views

app_name = "audit"

urlpatterns = [
    path("", views.search, name="search"),
    path("my-record/", views.my_record, name="my_record"),
]
