from django.urls import path

from tandem.scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("book/<uuid:practice_id>/", views.book, name="book"),
    path("appointments/<uuid:appointment_id>/", views.appointment, name="appointment"),
    path("appointments/<uuid:appointment_id>/pay/", views.pay, name="pay"),
    path("appointments/<uuid:appointment_id>/cancel/", views.cancel, name="cancel"),
    path("appointments/<uuid:appointment_id>/reschedule/", views.reschedule, name="reschedule"),
    path("appointments/<uuid:appointment_id>/check-in/", views.check_in, name="check_in"),
    path("appointments/<uuid:appointment_id>/waitlist/", views.join_waitlist, name="waitlist"),
    path("appointments/<uuid:appointment_id>/take/", views.take_offer, name="take_offer"),
    path("appointments/<uuid:appointment_id>/confirm/", views.confirm, name="confirm"),
    path("appointments/<uuid:appointment_id>/decline/", views.decline, name="decline"),
    path("appointments/<uuid:appointment_id>/outcome/", views.outcome, name="outcome"),
    path("practice/<uuid:org_id>/calendar/", views.calendar, name="calendar"),
    path("calendar/", views.my_calendar, name="my_calendar"),
    path("practice/<uuid:org_id>/book/", views.book_for_client, name="book_for_client"),
    path(
        "practice/referrals/<uuid:referral_id>/book/",
        views.referral_booking,
        name="referral_booking",
    ),
    path("book/invited/", views.invited, name="invited"),
]
