from django.urls import path

from . import views

urlpatterns = [
    path("", views.notification_list, name="notify-list"),
    path("badge/", views.badge, name="notify-badge"),
    path("<int:notification_id>/open/", views.open_notification, name="notify-open"),
    path("<int:notification_id>/read/", views.read, name="notify-read"),
    path("read-all/", views.read_all, name="notify-read-all"),
    path("preferences/", views.preferences, name="notify-preferences"),
]
