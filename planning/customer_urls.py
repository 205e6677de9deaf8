"""The customer's short link, /c/<token> (issue 17, visits.services.links): at the site's root,
so the SMS variable stays short."""

from django.urls import path

from . import customer_views

app_name = "customer"
urlpatterns = [
    path("<str:token>.ics", customer_views.calendar, name="calendar"),
    path("<str:token>", customer_views.page, name="page"),
]
