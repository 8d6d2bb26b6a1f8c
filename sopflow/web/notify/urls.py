from django.urls import path

from . import robot_views, views

urlpatterns = [
    path("", views.notification_list, name="notify-list"),
    path("badge/", views.badge, name="notify-badge"),
    path("<int:notification_id>/open/", views.open_notification, name="notify-open"),
    path("<int:notification_id>/read/", views.read, name="notify-read"),
    path("read-all/", views.read_all, name="notify-read-all"),
    path("preferences/", views.preferences, name="notify-preferences"),
    path("robots/", robot_views.robot_list, name="notify-robots"),
    path("robots/<int:robot_id>/toggle/", robot_views.robot_toggle, name="notify-robot-toggle"),
    path("robots/<int:robot_id>/test/", robot_views.robot_test, name="notify-robot-test"),
]
