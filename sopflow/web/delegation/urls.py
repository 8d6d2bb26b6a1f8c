from django.urls import path

from . import views

urlpatterns = [
    path("", views.mine, name="delegation-mine"),
    path("manage/", views.manage, name="delegation-manage"),
    path("<int:delegation_id>/cancel/", views.cancel, name="delegation-cancel"),
]
