from django.urls import path

from . import views

urlpatterns = [
    path("", views.audit_list, name="audit-list"),
    path("export.csv", views.audit_export, name="audit-export"),
    path("verify/", views.audit_verify, name="audit-verify"),
    path("<int:event_id>/", views.audit_detail, name="audit-detail"),
]
