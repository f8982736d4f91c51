from django.urls import path

from tandem.measures import api

app_name = "measures_api"

urlpatterns = [
    path("instruments", api.instrument_list, name="instruments"),
    path("instruments/<str:instrument_code>/score", api.score, name="score"),
]
