"""工作台: who I am and, as later issues land, what is waiting for me."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home/home.html", {"me": request.user})
