from django.test import Client, override_settings

from sopflow.api.tests.conftest import bearer_client
from sopflow.org.models import Company, User


def test_validation_error_names_the_query_field_when_boolean_is_wrong(alice: User) -> None:
    response = bearer_client(alice).get("/api/v1/org/employees?is_active=maybe")

    assert response.status_code == 422
    assert response.json() == {
        "code": "validation_failed",
        "field": "is_active",
        "message": "is_active：须为 true 或 false",
        "details": [{"field": "is_active", "message": "须为 true 或 false"}],
    }


def test_validation_error_names_the_body_field_when_date_is_wrong(
    hr_admin: User, company: Company
) -> None:
    response = bearer_client(hr_admin).post(
        "/api/v1/org/employees",
        {"company_id": company.pk, "employee_no": "E1", "name": "甲", "hired_on": "2025-13-01"},
        content_type="application/json",
    )

    assert response.status_code == 422
    assert response.json()["field"] == "hired_on"
    assert response.json()["message"] == "hired_on：须为日期（YYYY-MM-DD）"


def test_bad_json_is_400_json_when_body_cannot_be_parsed(hr_admin: User) -> None:
    response = bearer_client(hr_admin).post(
        "/api/v1/org/employees", "{oops", content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


def test_unknown_api_route_is_404_json_when_called(alice: User) -> None:
    anonymous = Client().get("/api/v1/no/such/thing")
    signed_in = bearer_client(alice).get("/api/v1/")

    assert anonymous.status_code == 404
    assert anonymous.json() == {"code": "not_found", "message": "接口不存在：/api/v1/no/such/thing"}
    assert signed_in.status_code == 404
    assert signed_in["Content-Type"] == "application/json"


def test_wrong_method_is_405_json_when_route_exists(alice: User) -> None:
    response = bearer_client(alice).delete("/api/v1/me")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_chinese_is_sent_unescaped_when_json_rendered(alice: User) -> None:
    response = bearer_client(alice).get("/api/v1/me")

    assert "张敏".encode() in response.content


@override_settings(API_THROTTLE_RATE="3/m")
def test_fourth_call_in_window_is_429_json_when_rate_is_three_per_minute(
    alice: User, bob: User
) -> None:
    client = bearer_client(alice)

    statuses = [client.get("/api/v1/me").status_code for _ in range(4)]
    other_token = bearer_client(bob).get("/api/v1/me")
    throttled = client.get("/api/v1/me")

    assert statuses == [200, 200, 200, 429]
    assert throttled.json() == {"code": "throttled", "message": "请求过于频繁，请稍后再试"}
    assert int(throttled["Retry-After"]) >= 1
    assert other_token.status_code == 200


@override_settings(API_THROTTLE_RATE="2/m")
def test_each_token_has_its_own_window_when_one_user_holds_two(alice: User) -> None:
    first, second = bearer_client(alice), bearer_client(alice)

    first_statuses = [first.get("/api/v1/me").status_code for _ in range(3)]
    second_status = second.get("/api/v1/me").status_code

    assert first_statuses == [200, 200, 429]
    assert second_status == 200
