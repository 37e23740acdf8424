"""Where verification codes go: a pluggable sender chosen by ``EXAM_CODE_SENDER`` (ground.config):

- ``log`` (the default, demo and tests): the server log, the address masked;
- ``mail``: SMTP through the standard library (``EXAM_SMTP_HOST``, ``_PORT``, ``_USER``, ``_PASSWORD``, ``_FROM``,
  ``_STARTTLS``);
- ``sms``: an HTTP SMS gateway (``EXAM_SMS_URL``, optional ``EXAM_SMS_TOKEN`` as a bearer token) that takes a JSON
  POST ``{"to": "08…", "text": "…"}`` and answers 2xx;
- ``mail+sms``: email addresses by mail, mobile numbers by SMS.

The text is translated in the reader's language by the caller; a delivery that fails is a clear, translated 503 and
the request changes nothing (the caller's transaction rolls back).
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import Any, Protocol

from ground.config import Config
from ground.errors import AppError
from ground.i18n import _

log = logging.getLogger("exam_engine.registration.codes")
TIMEOUT_S = 10


class Sender(Protocol):
    """Delivers a short message to an email address or phone number."""

    def send(self, to: str, text: str) -> None: ...


def _failed(kind: str, to: str, exc: Exception) -> AppError:
    log.error("%s to %s failed: %s", kind, mask(to), exc)
    return AppError("send_failed", _("The code could not be sent now. Try again in a few minutes."), 503)


class LogSender:
    """Writes the message to the server log (demo and tests): the address masked, the text as sent."""

    def send(self, to: str, text: str) -> None:
        """Log one message."""
        log.warning("message to %s: %s", mask(to), text)


class MailSender:
    """One plain-text mail per message over SMTP (STARTTLS unless told otherwise; login when a user is set)."""

    def __init__(self, host: str, port: int, sender: str, *, user: str = "", password: str = "",
                 starttls: bool = True) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls = user, password, starttls

    def send(self, to: str, text: str) -> None:
        """Send one mail; AppError("send_failed") when the server refuses or cannot be reached."""
        if "@" not in to:
            raise _failed("mail", to, ValueError("not an email address"))
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.sender, to, _("Your CAT registration code")
        msg.set_content(text)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_S) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise _failed("mail", to, exc) from None


class SmsSender:
    """An HTTP SMS gateway: a JSON POST of the number and the text to its URL, 2xx meaning accepted."""

    def __init__(self, url: str, token: str = "") -> None:
        if not url.startswith(("http://", "https://")):
            raise RuntimeError(f"EXAM_SMS_URL must be an http(s) URL, not {url!r}")
        self.url, self.token = url, token

    def send(self, to: str, text: str) -> None:
        """Post one message; AppError("send_failed") when the gateway refuses it or cannot be reached."""
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = json.dumps({"to": to, "text": text}).encode("utf-8")
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as reply:  # noqa: S310 (the URL is the config's)
                reply.read()
        except (OSError, urllib.error.URLError) as exc:  # HTTPError (non-2xx) is an URLError
            raise _failed("sms", to, exc) from None


class RoutingSender:
    """Email addresses to one sender, mobile numbers to the other."""

    def __init__(self, mail: Sender, sms: Sender) -> None:
        self.mail, self.sms = mail, sms

    def send(self, to: str, text: str) -> None:
        """Send by mail or by SMS, by the address's kind."""
        (self.mail if "@" in to else self.sms).send(to, text)


def mask(to: str) -> str:
    """An address with most of it hidden, for logs (b***@mail.id, 0812****89)."""
    if "@" in to:
        name, _at, domain = to.partition("@")
        return f"{name[:1]}***@{domain}"
    return f"{to[:4]}****{to[-2:]}"


def _mail(config: Config) -> MailSender:
    if not config.smtp_host:
        raise RuntimeError("EXAM_CODE_SENDER needs EXAM_SMTP_HOST for mail")
    return MailSender(config.smtp_host, config.smtp_port, config.smtp_from or f"cat@{config.smtp_host}",
                      user=config.smtp_user or "", password=config.smtp_password or "",
                      starttls=config.smtp_starttls)


def _sms(config: Config) -> SmsSender:
    return SmsSender(config.sms_url or "", config.sms_token or "")


SENDERS: dict[str, Any] = {
    "log": lambda config: LogSender(),
    "mail": _mail,
    "sms": _sms,
    "mail+sms": lambda config: RoutingSender(_mail(config), _sms(config)),
}


def sender(config: Config) -> Sender:
    """The installation's sender (``EXAM_CODE_SENDER``, default ``log``)."""
    name = config.code_sender
    if name not in SENDERS:
        raise RuntimeError(f"EXAM_CODE_SENDER={name!r} is not one of {sorted(SENDERS)}")
    return SENDERS[name](config)  # type: ignore[no-any-return]
