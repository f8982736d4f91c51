from django.urls import path

from tandem.measures import views

app_name = "measures"

urlpatterns = [
    path("", views.portal, name="portal"),
    path("answer/<str:instrument_code>/", views.answer, name="answer"),
    path("responses/<uuid:response_id>/", views.response_detail, name="response"),
    path("clients/<uuid:client_id>/", views.client_page, name="client"),
    path("clients/<uuid:client_id>/enter/<str:instrument_code>/", views.enter, name="enter"),
    path("clients/<uuid:client_id>/cadence/", views.schedule, name="schedule"),
    path("clients/<uuid:client_id>/trackers/", views.tracker_new, name="tracker_new"),
    path("clients/<uuid:client_id>/reviews/", views.review, name="review"),
    path("trackers/<uuid:tracker_id>/entries/", views.tracker_entry, name="tracker_entry"),
    path("registry/", views.registry, name="registry"),
    path("registry/export.csv", views.registry_export, name="registry_export"),
    path("registry/views/", views.save_view, name="save_view"),
    path("registry/views/delete/", views.delete_view, name="delete_view"),
    path("registry/reviews/", views.case_reviews, name="case_reviews"),
]
