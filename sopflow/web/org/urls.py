"""Org pages under /org/: read pages for everyone, admin pages and import/export for HR admins."""

from django.urls import path

from .views import manage, pages, transfer

urlpatterns = [
    path("", pages.org_chart, name="org-chart"),
    path("departments/new/", manage.department_create, name="org-department-create"),
    path("departments/<int:department_id>/", pages.department_detail, name="org-department"),
    path("departments/<int:department_id>/edit/", manage.department_edit, name="org-department-edit"),
    path("departments/<int:department_id>/active/", manage.department_set_active,
         name="org-department-active"),
    path("people/", pages.people_list, name="org-people"),
    path("people/new/", manage.person_create, name="org-person-create"),
    path("people/<int:person_id>/", pages.person_detail, name="org-person"),
    path("people/<int:person_id>/edit/", manage.person_edit, name="org-person-edit"),
    path("people/<int:person_id>/active/", manage.person_set_active, name="org-person-active"),
    path("people/<int:person_id>/password/", manage.person_password, name="org-person-password"),
    path("people/<int:person_id>/roles/", manage.role_assign, name="org-role-assign"),
    path("roles/<int:grant_id>/revoke/", manage.role_revoke, name="org-role-revoke"),
    path("positions/", pages.position_list, name="org-positions"),
    path("positions/new/", manage.position_create, name="org-position-create"),
    path("positions/<int:position_id>/", pages.position_detail, name="org-position"),
    path("positions/<int:position_id>/edit/", manage.position_edit, name="org-position-edit"),
    path("positions/<int:position_id>/active/", manage.position_set_active,
         name="org-position-active"),
    path("import/", transfer.import_page, name="org-import"),
    path("import/template/", transfer.import_template, name="org-import-template"),
    path("export/", transfer.export, name="org-export"),
]
