from django.urls import path

from . import views

urlpatterns = [
    path("templates/<int:template_id>/flow/", views.designer, name="flow-design"),
    path("templates/<int:template_id>/flow/op/", views.operation, name="flow-op"),
    path("templates/<int:template_id>/flow/node/<str:node_id>/", views.node_drawer,
         name="flow-node"),
    path("templates/<int:template_id>/flow/branch/<str:branch_id>/", views.branch_drawer,
         name="flow-branch"),
    path("templates/<int:template_id>/flow/pick/<str:kind>/", views.pick, name="flow-pick"),
    path("templates/<int:template_id>/flow/lint/", views.lint, name="flow-lint"),
    path("templates/<int:template_id>/flow/simulate/", views.simulate, name="flow-simulate"),
    path("templates/<int:template_id>/flow/publish/", views.publish, name="flow-publish"),
    path("templates/<int:template_id>/flow/versions/", views.versions, name="flow-versions"),
    path("templates/<int:template_id>/flow/versions/<int:version_id>/migrate/", views.migrate,
         name="flow-migrate"),
    path("templates/<int:template_id>/flow/export.bpmn", views.export_bpmn,
         name="flow-export"),
    path("templates/<int:template_id>/flow/import/", views.import_bpmn, name="flow-import"),
]
