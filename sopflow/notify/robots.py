"""Group-chat robots: request signing and message formats for DingTalk, WeCom and Feishu.

DingTalk: sign = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp_ms}\\n{secret}"))),
sent as `&timestamp=…&sign=…`. Feishu: sign = base64(HMAC-SHA256(key=f"{timestamp_s}\\n{secret}",
msg=b"")), sent in the JSON body. WeCom: the key is part of the URL, nothing is signed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .models import Robot


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass(frozen=True, slots=True)
class RobotRequest:
    url: str
    body: dict[str, Any]

    def encoded(self) -> bytes:
        return json.dumps(self.body, ensure_ascii=False).encode()


def build_request(
    *, platform: str, webhook_url: str, secret: str, title: str, body: str, link: str,
    now: datetime,
) -> RobotRequest:
    """The URL and JSON body for one message (markdown where the platform has it)."""
    if platform == Robot.Platform.DINGTALK:
        text = f"### {title}\n\n{body}" + (f"\n\n[查看详情]({link})" if link else "")
        url = webhook_url
        if secret:
            timestamp_ms = int(now.timestamp() * 1000)
            separator = "&" if "?" in url else "?"
            url = f"{url}{separator}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"
        return RobotRequest(url, {"msgtype": "markdown", "markdown": {"title": title, "text": text}})
    if platform == Robot.Platform.WECOM:
        text = f"**{title}**\n{body}" + (f"\n[查看详情]({link})" if link else "")
        return RobotRequest(webhook_url, {"msgtype": "markdown", "markdown": {"content": text}})
    if platform == Robot.Platform.FEISHU:
        lines: list[list[dict[str, str]]] = [[{"tag": "text", "text": body}]] if body else []
        if link:
            lines.append([{"tag": "a", "text": "查看详情", "href": link}])
        payload: dict[str, Any] = {
            "msg_type": "post",
            "content": {"post": {"zh_cn": {"title": title, "content": lines}}},
        }
        if secret:
            timestamp_s = int(now.timestamp())
            payload = {"timestamp": str(timestamp_s), "sign": feishu_sign(secret, timestamp_s)} | payload
        return RobotRequest(webhook_url, payload)
    raise ValueError(f"unknown robot platform {platform!r}")


def accepted(platform: str, status: int | None, text: str) -> tuple[bool, str]:
    """Did the platform take the message? They answer HTTP 200 with an error code inside."""
    if status is None or not 200 <= status < 300:
        return False, f"HTTP {status}"
    try:
        answer = json.loads(text or "{}")
    except ValueError:
        return False, "invalid JSON answer"
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
    if code in (0, None):
        return True, ""
    return False, f"{code}: {answer.get('errmsg') or answer.get('msg') or ''}"[:300]
