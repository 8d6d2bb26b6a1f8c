from datetime import UTC, datetime, timedelta

import pytest

from sopflow.accounts.models import ApiToken
from sopflow.accounts.services import MAX_ACTIVE_TOKENS, authenticate_token, create_token
from sopflow.audit.models import AuditEvent
from sopflow.core.clock import clock
from sopflow.core.errors import ValidationFailed
from sopflow.org.models import User

MOMENT = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "days", "field"),
    [
        ("   ", None, "name"),
        ("名" * 61, None, "name"),
        ("同步", 0, "expires_in_days"),
        ("同步", 3651, "expires_in_days"),
    ],
)
def test_token_refused_and_nothing_written_when_input_invalid(
    alice: User, name: str, days: int | None, field: str
) -> None:
    with pytest.raises(ValidationFailed) as error:
        create_token(actor=alice, name=name, expires_in_days=days)

    assert error.value.field == field
    assert ApiToken.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_token_refused_when_user_already_holds_the_maximum(alice: User) -> None:
    for number in range(MAX_ACTIVE_TOKENS):
        create_token(actor=alice, name=f"令牌{number}")

    with pytest.raises(ValidationFailed):
        create_token(actor=alice, name="多一个")

    assert ApiToken.objects.filter(user=alice).count() == MAX_ACTIVE_TOKENS


def test_token_expiry_is_counted_from_creation_when_days_given(alice: User) -> None:
    with clock.frozen(MOMENT):
        issued = create_token(actor=alice, name="同步", expires_in_days=30)

    assert issued.token.expires_at == MOMENT + timedelta(days=30)
    assert issued.plaintext.startswith(f"sop_{issued.token.prefix}_")


def test_last_used_is_written_at_most_every_five_minutes_when_token_used(alice: User) -> None:
    with clock.frozen(MOMENT):
        plaintext = create_token(actor=alice, name="同步").plaintext
        authenticate_token(plaintext)
        clock.advance(timedelta(minutes=4))
        authenticate_token(plaintext)
        first = ApiToken.objects.get().last_used_at
        clock.advance(timedelta(minutes=2))
        authenticate_token(plaintext)
        second = ApiToken.objects.get().last_used_at

    assert first == MOMENT
    assert second == MOMENT + timedelta(minutes=6)


def test_token_status_reads_expired_when_past_expiry(alice: User) -> None:
    with clock.frozen(MOMENT):
        token = create_token(actor=alice, name="同步", expires_in_days=1).token
        before = token.status
        clock.advance(timedelta(days=2))
        after = token.status

    assert (before, after) == ("active", "expired")
