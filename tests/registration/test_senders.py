"""The code senders (issue 17): SMTP through the standard library and an HTTP SMS gateway, each against a real local
server started here (a minimal SMTP server on a socket, an http.server gateway); the installation's choice from its
configuration; a failed delivery is a translated 503 and the registration changes nothing."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from ground import db
from ground.config import Config
from ground.errors import AppError
from ground.models.registration import Person
from registration import people
from registration.senders import LogSender, MailSender, RoutingSender, SmsSender, sender
from tests.registration.factory import MAN, PASSWORD, WOMAN


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP to take one mail: EHLO, MAIL, RCPT, DATA, QUIT (no TLS, no auth)."""

    def handle(self) -> None:
        self.wfile.write(b"220 fake ESMTP\r\n")
        rcpt: list[str] = []
        while line := self.rfile.readline():
            verb = line.decode().strip().upper()
            if verb.startswith(("EHLO", "HELO")):
                self.wfile.write(b"250 fake\r\n")
            elif verb.startswith("MAIL FROM"):
                self.wfile.write(b"250 ok\r\n")
            elif verb.startswith("RCPT TO"):
                rcpt.append(line.decode().split(":", 1)[1].strip().strip("<>"))
                self.wfile.write(b"250 ok\r\n")
            elif verb == "DATA":
                self.wfile.write(b"354 go on\r\n")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                self.server.mails.append((rcpt, message_from_bytes(data)))  # type: ignore[attr-defined]
                self.wfile.write(b"250 queued\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"502 no\r\n")


class _Gateway(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.posts.append((self.headers.get("Authorization"), body))  # type: ignore[attr-defined]
        self.send_response(self.server.status)  # type: ignore[attr-defined]
        self.end_headers()
        self.wfile.write(b'{"queued": true}')

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def smtp() -> Iterator[Any]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    server.mails = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def gateway() -> Iterator[Any]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    server.posts, server.status = [], 200  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_codes_go_by_mail_and_by_sms_translated(tmp_path: Path, smtp: Any, gateway: Any) -> None:
    url = f"sqlite:///{tmp_path / 'exam.sqlite3'}"
    db.upgrade(url)
    config = Config(data_dir=tmp_path, database_url=url, code_sender="mail+sms", smtp_host="127.0.0.1",
                    smtp_port=smtp.server_address[1], smtp_from="panitia@contoh.go.id", smtp_starttls=False,
                    sms_url=f"http://127.0.0.1:{gateway.server_address[1]}/send", sms_token="rahasia-gateway")
    send = sender(config)
    assert isinstance(send, RoutingSender) and isinstance(send.mail, MailSender) and isinstance(send.sms, SmsSender)
    with db.session_scope(url) as s:
        people.register(s, nik=WOMAN[0], name=WOMAN[1], birth_date=WOMAN[2], login="siti@contoh.id",
                        password=PASSWORD, sender=send)
        people.register(s, nik=MAN[0], name=MAN[1], birth_date=MAN[2], login="0812 9876 5432", password=PASSWORD,
                        sender=send)
    [(rcpt, mail)] = smtp.mails
    assert rcpt == ["siti@contoh.id"] and mail["From"] == "panitia@contoh.go.id"
    assert str(make_header(decode_header(mail["Subject"]))) == "Kode pendaftaran CAT Anda"
    assert "Kode pendaftaran CAT Anda" in mail.get_payload(decode=True).decode()  # Indonesian, the default
    [(auth, body)] = gateway.posts
    assert auth == "Bearer rahasia-gateway" and body["to"] == "081298765432"
    assert body["text"].startswith("Kode pendaftaran CAT Anda ") and len(body["text"].split()[4].strip(".")) == 6


def test_a_failed_delivery_refuses_and_changes_nothing(tmp_path: Path, gateway: Any) -> None:
    url = f"sqlite:///{tmp_path / 'exam.sqlite3'}"
    db.upgrade(url)
    gateway.status = 500
    sms = SmsSender(f"http://127.0.0.1:{gateway.server_address[1]}/send")
    with pytest.raises(AppError) as refused, db.session_scope(url) as s:
        people.register(s, nik=MAN[0], name=MAN[1], birth_date=MAN[2], login="081298765432", password=PASSWORD,
                        sender=sms)
    assert refused.value.code == "send_failed" and refused.value.status == 503
    assert "Kode tidak dapat dikirim" in refused.value.message
    with db.session_scope(url) as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 0
    closed = MailSender("127.0.0.1", 1, "x@contoh.id", starttls=False)  # nothing listens on port 1
    with pytest.raises(AppError, match="Kode tidak dapat dikirim"):
        closed.send("siti@contoh.id", "x")


def test_the_configured_sender(tmp_path: Path) -> None:
    assert isinstance(sender(Config(data_dir=tmp_path, code_sender="log")), LogSender)
    with pytest.raises(RuntimeError, match="EXAM_SMTP_HOST"):
        sender(Config(data_dir=tmp_path, code_sender="mail"))
    with pytest.raises(RuntimeError, match="not one of"):
        sender(Config(data_dir=tmp_path, code_sender="pigeon"))
