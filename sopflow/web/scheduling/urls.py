from django.urls import path

from . import views

urlpatterns = [
    path("", views.jobs_page, name="jobs-list"),
    path("jobs/<int:job_run_id>/retry/", views.job_retry, name="jobs-retry"),
    path("deliveries/<int:delivery_id>/retry/", views.delivery_retry, name="jobs-delivery-retry"),
    path("timers/<int:timer_id>/retry/", views.timer_retry, name="jobs-timer-retry"),
]
