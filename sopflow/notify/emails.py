"""Rendering notification e-mails (HTML + text) in the recipient's language."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

# The e-mail chrome in each interface language; the message text itself comes from the caller
# (with optional per-language translations on the notification).
CHROME = {
    "zh-hans": {"greeting": "{name}，您好：", "open": "查看详情", "footer": "此邮件由 sopflow 自动发送，请勿直接回复。",
                "digest": "您有 {count} 条抄送消息"},
    "en": {"greeting": "Hello {name},", "open": "View details",
           "footer": "This e-mail was sent by sopflow automatically; please do not reply.",
           "digest": "You have {count} CC messages"},
}


def absolute(link: str) -> str:
    if not link or link.startswith(("http://", "https://")):
        return link
    return getattr(settings, "SITE_URL", "http://127.0.0.1:8000").rstrip("/") + link


def build_email(
    *, to: str, name: str, language: str, items: list[tuple[str, str, str]], subject: str = ""
) -> EmailMultiAlternatives:
    """One e-mail for one or more (title, body, link) items; a digest has several."""
    chrome = CHROME.get(language, CHROME["zh-hans"])
    if not subject:
        subject = items[0][0] if len(items) == 1 else chrome["digest"].format(count=len(items))
    context = {
        "greeting": chrome["greeting"].format(name=name),
        "open": chrome["open"],
        "footer": chrome["footer"],
        "items": [{"title": t, "body": b, "link": absolute(link)} for t, b, link in items],
        "language": language,
    }
    message = EmailMultiAlternatives(
        subject=f"[sopflow] {subject}",
        body=render_to_string("notify/email/message.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(render_to_string("notify/email/message.html", context), "text/html")
    return message
