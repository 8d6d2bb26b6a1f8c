from django.urls import path

from . import settings_views, views

urlpatterns = [
    path("calendar/", views.calendar_page, name="worktime-calendar"),
    path("calendar/days/", views.day_set, name="worktime-day-set"),
    path("calendar/days/remove/", views.day_remove, name="worktime-day-remove"),
    path("calendar/settings/", settings_views.calendar_settings, name="worktime-settings"),
]
