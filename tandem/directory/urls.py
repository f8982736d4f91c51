from django.urls import path

from tandem.directory import views

app_name = "directory"

urlpatterns = [
    path("", views.search_page, name="search"),
    path("refer/", views.refer, name="refer"),
    path("partners/", views.partners, name="partners"),
    path("how-it-is-measured/", views.how, name="how"),
    path("experience/", views.experience_list, name="experience_list"),
    path("experience/<uuid:visit_id>/", views.experience, name="experience"),
]
