from django.urls import path

from . import views

urlpatterns = [
    path("approvals/", views.inbox, name="approval-inbox"),
    path("approvals/badge/", views.badge, name="approval-badge"),
    path("approvals/batch-approve/", views.batch_approve, name="approval-batch"),
    path("approvals/<int:instance_id>/", views.item, name="approval-item"),
    path("approvals/<int:instance_id>/resubmit/", views.resubmit, name="approval-resubmit"),
    path("approvals/<int:instance_id>/<str:action>/", views.instance_action,
         name="approval-action"),
    path("approvals/tasks/<int:task_id>/files/", views.task_file_upload,
         name="approval-task-files"),
    path("approvals/tasks/<int:task_id>/<str:action>/", views.task_action,
         name="approval-task-action"),
    path("approvals/preview/<int:submission_id>/", views.preview, name="approval-preview"),
]
