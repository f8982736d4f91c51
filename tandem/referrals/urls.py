from django.urls import path

from tandem.referrals import views

app_name = "referrals"

urlpatterns = [
    path("<uuid:referral_id>/", views.detail, name="detail"),
]
