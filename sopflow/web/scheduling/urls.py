from django.urls import path

from . import rule_views, views

urlpatterns = [
    path("", views.jobs_page, name="jobs-list"),
    path("jobs/<int:job_run_id>/retry/", views.job_retry, name="jobs-retry"),
    path("deliveries/<int:delivery_id>/retry/", views.delivery_retry, name="jobs-delivery-retry"),
    path("timers/<int:timer_id>/retry/", views.timer_retry, name="jobs-timer-retry"),
    path("rules/", rule_views.rule_list, name="rules-list"),
    path("rules/<int:rule_id>/toggle/", rule_views.rule_toggle, name="rules-toggle"),
]
