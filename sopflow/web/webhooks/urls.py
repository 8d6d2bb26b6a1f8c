from django.urls import path

from . import views

urlpatterns = [
    path("", views.subscription_list, name="webhooks-list"),
    path("<int:subscription_id>/", views.subscription_detail, name="webhooks-detail"),
    path("<int:subscription_id>/toggle/", views.subscription_toggle, name="webhooks-toggle"),
    path("<int:subscription_id>/test/", views.subscription_test, name="webhooks-test"),
    path("deliveries/<int:delivery_id>/replay/", views.delivery_replay, name="webhooks-replay"),
]
