import base64
import hashlib
import hmac
import json
import urllib.parse
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sopflow.core.clock import clock
from sopflow.notify.delivery import send_delivery
from sopflow.notify.models import Delivery, Robot
from sopflow.notify.robots import build_request, dingtalk_sign, feishu_sign
from sopflow.notify.services import notify
from sopflow.notify.tests.local_server import LocalServer
from sopflow.org.models import Department, User

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 16, 10, 0, tzinfo=SH)
SECRET = "SEC0123456789abcdef"


def test_dingtalk_sign_matches_an_independent_computation() -> None:
    timestamp_ms = 1773626400000
    expected_raw = base64.b64encode(
        hmac.new(SECRET.encode("utf-8"), f"{timestamp_ms}\n{SECRET}".encode(),
                 digestmod=hashlib.sha256).digest())
    expected = urllib.parse.quote_plus(expected_raw)

    assert dingtalk_sign(SECRET, timestamp_ms) == expected


def test_feishu_sign_is_hmac_keyed_with_timestamp_and_secret_over_empty_message() -> None:
    timestamp_s = 1773626400
    key = f"{timestamp_s}\n{SECRET}".encode()
    expected = base64.b64encode(hmac.new(key, digestmod=hashlib.sha256).digest()).decode()

    assert feishu_sign(SECRET, timestamp_s) == expected


def test_request_formats_per_platform() -> None:
    common = {"secret": SECRET, "title": "请审批", "body": "市场活动", "link": "https://x/1", "now": NOW}

    dingtalk = build_request(platform="dingtalk", webhook_url="https://oapi.example/robot/send?access_token=t", **common)
    feishu = build_request(platform="feishu", webhook_url="https://open.example/hook/abc", **common)
    wecom = build_request(platform="wecom", webhook_url="https://qyapi.example/send?key=k", **common)

    timestamp_ms = int(NOW.timestamp() * 1000)
    assert dingtalk.url == (f"https://oapi.example/robot/send?access_token=t&timestamp={timestamp_ms}"
                            f"&sign={dingtalk_sign(SECRET, timestamp_ms)}")
    assert dingtalk.body["msgtype"] == "markdown"
    assert dingtalk.body["markdown"]["text"] == "### 请审批\n\n市场活动\n\n[查看详情](https://x/1)"
    assert (feishu.body["timestamp"], feishu.body["sign"]) == (
        str(int(NOW.timestamp())), feishu_sign(SECRET, int(NOW.timestamp())))
    assert feishu.body["msg_type"] == "post"
    assert wecom.url == "https://qyapi.example/send?key=k"
    assert wecom.body == {"msgtype": "markdown",
                          "markdown": {"content": "**请审批**\n市场活动\n[查看详情](https://x/1)"}}


def test_department_robot_posts_signed_message_to_local_server(
    alice: User, bob: User, marketing: Department, local_server: LocalServer,
    django_capture_on_commit_callbacks: object,
) -> None:
    Robot.objects.create(company=alice.company, name="市场部群", platform="dingtalk",
                         webhook_url=f"{local_server.base_url}/robot/send?access_token=abc",
                         secret=SECRET, department=marketing)

    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        notify(recipients=[alice], kind="workflow.task.reminder", title="请审批", body="市场活动",
               link="/w/1/", department=marketing)

    robot_delivery = Delivery.objects.get(channel="robot")
    assert (robot_delivery.status, robot_delivery.last_status_code) == ("sent", 200)
    request, = local_server.received
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.path).query)
    timestamp_ms = int(NOW.timestamp() * 1000)
    assert query["timestamp"] == [str(timestamp_ms)]
    assert query["sign"] == [urllib.parse.unquote_plus(dingtalk_sign(SECRET, timestamp_ms))]
    assert json.loads(request.body)["markdown"]["title"] == "请审批"


def test_robot_rate_limit_queues_the_rest_for_the_next_minute(
    alice: User, marketing: Department, local_server: LocalServer
) -> None:
    robot = Robot.objects.create(company=alice.company, name="群", platform="wecom",
                                 webhook_url=f"{local_server.base_url}/send?key=k",
                                 department=marketing, rate_limit_per_minute=3)
    ids = [Delivery.objects.create(channel="robot", robot=robot, status="queued", created_at=NOW,
                                   payload={"title": f"消息{n}"}).pk for n in range(4)]

    statuses = [send_delivery(pk, now=NOW + timedelta(seconds=n)) for n, pk in enumerate(ids)]

    assert statuses == ["sent", "sent", "sent", "scheduled"]
    assert len(local_server.received) == 3
    assert Delivery.objects.get(pk=ids[3]).next_attempt_at == NOW + timedelta(minutes=1)
    assert Delivery.objects.get(pk=ids[3]).attempts == 0


def test_robot_error_code_in_a_200_answer_is_retried(
    alice: User, marketing: Department, local_server: LocalServer
) -> None:
    local_server.answer = b'{"errcode": 310000, "errmsg": "sign not match"}'
    robot = Robot.objects.create(company=alice.company, name="群", platform="dingtalk",
                                 webhook_url=f"{local_server.base_url}/send?access_token=t",
                                 secret=SECRET, department=marketing)
    delivery = Delivery.objects.create(channel="robot", robot=robot, status="queued",
                                       created_at=NOW, payload={"title": "x"})

    status = send_delivery(delivery.pk, now=NOW)

    delivery.refresh_from_db()
    assert status == "scheduled"
    assert (delivery.attempts, delivery.next_attempt_at) == (1, NOW + timedelta(minutes=1))
    assert delivery.last_error == "310000: sign not match"
