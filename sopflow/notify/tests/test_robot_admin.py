"""send_robot_test: a test message reaches the robot (a local server) with its attempt recorded."""

from __future__ import annotations

import pytest

from sopflow.core.errors import Forbidden
from sopflow.notify.models import Delivery, Robot
from sopflow.notify.services import create_robot, send_robot_test
from sopflow.notify.tests.local_server import LocalServer
from sopflow.org.models import Company, Department, User


def test_test_message_is_delivered_to_the_robot(
    admin: User, company: Company, marketing: Department, local_server: LocalServer,
    django_capture_on_commit_callbacks: object,
) -> None:
    robot = create_robot(actor=admin, company=company, name="群", platform=Robot.Platform.WECOM,
                         webhook_url=f"{local_server.base_url}/send?key=k", department=marketing)

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]  # fixture
        send_robot_test(actor=admin, robot=robot)

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SENT, 1)
    assert local_server.received[0].json()["markdown"]["content"].startswith("**sopflow 测试消息**")


def test_employee_cannot_send_a_test_message(
    admin: User, alice: User, company: Company, marketing: Department
) -> None:
    robot = create_robot(actor=admin, company=company, name="群", platform=Robot.Platform.WECOM,
                         webhook_url="https://qyapi.example/send?key=k", department=marketing)

    with pytest.raises(Forbidden):
        send_robot_test(actor=alice, robot=robot)

    assert Delivery.objects.exists() is False
