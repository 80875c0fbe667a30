#!/usr/bin/env python3
"""fake_zns.py - a local stand-in for Zalo ZNS + Zalo OA OAuth v4, for tests.

Python 3.11 standard library only.  See Tests/zns/API.md for the contract it
enforces and for which facts are verified from documentation.

Paths (same as the real services):
  POST /message/template      (real host: https://business.openapi.zalo.me)
  POST /v4/oa/access_token    (real host: https://oauth.zaloapp.com)
Test-only helpers (not part of Zalo):
  GET  /_fake/state           current tokens, counters
  POST /_fake/expire-token    make the current access token expire now

A request that breaks the documented contract gets HTTP 400 and
  {"error": -999, "message": "fake_zns: <what was wrong>"}
A well-formed request that Zalo would refuse gets HTTP 200 and the Zalo
error body (Zalo reports business errors in the body, not the status).

Every request and the answer given is appended as one JSON line to --log.
"""

import argparse
import hashlib
import http.client
import json
import re
import secrets
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PHONE_RE = re.compile(r"^84\d{9}$")
SEND_FIELDS_REQUIRED = ("phone", "template_id", "template_data", "tracking_id")
SEND_FIELDS_OPTIONAL = ("mode",)

# Zalo error bodies used by the fake (see API.md for provenance of each code).
ERR_TOKEN = (-124, "Access token invalid")
ERR_TEMPLATE_ID = (-109, "Template ID invalid")
ERR_NOT_ON_ZALO = (-118, "Zalo account not existed")
ERR_DAILY_QUOTA = (-144, "OA has exceeded maximum quota per day")
ERR_REFRESH = {
    "error": -14014,
    "error_name": "Invalid parameter",
    "error_reason": "Invalid refresh token",
    "error_description": "refresh token is invalid or has already been used",
}


def now_ms() -> str:
    return str(int(time.time() * 1000))


def iso_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class State:
    def __init__(self, args, templates):
        self.lock = threading.Lock()
        self.args = args
        self.templates = templates  # {template_id: [param, ...]}
        self.access_token = args.initial_token
        self.access_expires = time.monotonic() + args.token_ttl
        self.refresh_token = args.refresh_token
        self.used_refresh_tokens = []
        self.old_access_tokens = []
        self.sent = 0
        self.refreshes = 0
        self.not_on_zalo = set(p for p in (args.not_on_zalo or "").split(",") if p)
        self.log_lock = threading.Lock()
        self.log_file = open(args.log, "a", encoding="utf-8") if args.log else None

    def log(self, record: dict):
        if not self.log_file:
            return
        line = json.dumps(record, ensure_ascii=False, sort_keys=True)
        with self.log_lock:
            self.log_file.write(line + "\n")
            self.log_file.flush()

    def token_status(self, token: str) -> str:
        """'ok', 'expired', 'old' or 'unknown'."""
        with self.lock:
            if token == self.access_token:
                return "ok" if time.monotonic() < self.access_expires else "expired"
            if token in self.old_access_tokens:
                return "old"
            return "unknown"


class Violation(Exception):
    """The request breaks the documented contract -> HTTP 400, error -999."""


def zalo_error(code_msg, data=None):
    code, msg = code_msg
    return {"error": code, "message": msg, "data": data}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake_zns/1"
    state: State = None  # set in main

    def log_message(self, fmt, *a):  # keep stderr quiet; we have --log
        if self.state.args.verbose:
            sys.stderr.write("fake_zns: " + (fmt % a) + "\n")

    # ---- plumbing -------------------------------------------------------
    def read_body(self) -> bytes:
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks = []
            while True:
                size_line = self.rfile.readline().strip()
                size = int(size_line.split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def answer(self, status: int, obj: dict, kind: str, body: bytes, parsed):
        payload = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        self.state.log({
            "ts": iso_now(),
            "kind": kind,
            "method": self.command,
            "path": self.path,
            "headers": {k: v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
            "parsed": parsed,
            "status": status,
            "response": obj,
        })

    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def route(self):
        path = urllib.parse.urlsplit(self.path).path
        body = self.read_body()
        kind = {"/message/template": "send", "/v4/oa/access_token": "refresh"}.get(
            path, "admin" if path.startswith("/_fake/") else "unknown")
        parsed = None
        try:
            if path == "/message/template":
                status, obj, parsed = self.handle_send(body)
            elif path == "/v4/oa/access_token":
                status, obj, parsed = self.handle_refresh(body)
            elif path == "/_fake/state" and self.command == "GET":
                status, obj = 200, self.snapshot()
            elif path == "/_fake/expire-token" and self.command == "POST":
                with self.state.lock:
                    self.state.access_expires = time.monotonic() - 1
                status, obj = 200, {"ok": True}
            else:
                raise Violation(f"unknown endpoint {self.command} {path}")
        except Violation as v:
            status, obj = 400, {"error": -999, "message": f"fake_zns: {v}"}
        self.answer(status, obj, kind, body, parsed)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = route

    def do_HEAD(self):
        self.send_response(400)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def snapshot(self):
        s = self.state
        with s.lock:
            return {
                "access_token": s.access_token,
                "access_token_expires_in": round(s.access_expires - time.monotonic(), 3),
                "refresh_token": s.refresh_token,
                "used_refresh_tokens": list(s.used_refresh_tokens),
                "sent": s.sent,
                "quota": s.args.quota,
                "refreshes": s.refreshes,
            }

    # ---- POST /message/template -----------------------------------------
    def handle_send(self, body: bytes):
        s = self.state
        if self.command != "POST":
            raise Violation(f"/message/template needs POST, got {self.command}")
        if self.content_type() != "application/json":
            raise Violation("Content-Type must be application/json, got "
                            f"{self.headers.get('Content-Type')!r}")
        token = self.headers.get("access_token")
        if token is None:
            raise Violation("missing 'access_token' header (the OA access token goes in "
                            "a header named access_token, not Authorization)")
        if self.headers.get("Authorization"):
            raise Violation("unexpected Authorization header; ZNS uses the "
                            "'access_token' header")
        try:
            doc = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise Violation(f"body is not valid UTF-8 JSON: {e}")
        if not isinstance(doc, dict):
            raise Violation("body must be a JSON object")
        for f in SEND_FIELDS_REQUIRED:
            if f not in doc:
                raise Violation(f"missing field '{f}'")
        extra = sorted(set(doc) - set(SEND_FIELDS_REQUIRED) - set(SEND_FIELDS_OPTIONAL))
        if extra:
            raise Violation(f"unexpected field(s) {extra}")
        phone, tid, tdata, track = (doc["phone"], doc["template_id"],
                                    doc["template_data"], doc["tracking_id"])
        if not isinstance(phone, str) or not PHONE_RE.match(phone):
            raise Violation(f"phone must be a string matching ^84\\d{{9}}$, got {phone!r}")
        if not isinstance(tid, str) or not tid:
            raise Violation(f"template_id must be a non-empty string, got {tid!r}")
        if not isinstance(tdata, dict):
            raise Violation(f"template_data must be a JSON object, got {type(tdata).__name__}")
        for k, v in tdata.items():
            if not isinstance(v, (str, int, float)) or isinstance(v, bool):
                raise Violation(f"template_data[{k!r}] must be a string or number, got {v!r}")
        if not isinstance(track, str) or not track:
            raise Violation(f"tracking_id must be a non-empty string, got {track!r}")
        if "mode" in doc and doc["mode"] != "development":
            raise Violation(f"mode, when present, must be \"development\", got {doc['mode']!r}")

        # Authentication (well-formed request, Zalo-level refusal).
        ts = s.token_status(token)
        if ts != "ok":
            return 200, zalo_error(ERR_TOKEN), doc
        # Template.
        params = s.templates.get(tid)
        if params is None:
            return 200, zalo_error(ERR_TEMPLATE_ID), doc
        missing = sorted(set(params) - set(tdata))
        unknown = sorted(set(tdata) - set(params))
        if missing or unknown:
            raise Violation(f"template_data keys for template {tid} must be exactly "
                            f"{sorted(params)}; missing {missing}, unknown {unknown}")
        # Recipient reachable?
        if phone in s.not_on_zalo:
            return 200, zalo_error(ERR_NOT_ON_ZALO), doc
        # Quota.
        with s.lock:
            q = s.args.quota
            if q is not None and s.sent >= q:
                return 200, zalo_error(ERR_DAILY_QUOTA), doc
            s.sent += 1
            remaining = (q - s.sent) if q is not None else 1000000
            daily = q if q is not None else 1000000
        msg_id = secrets.token_hex(16)
        sent_time = now_ms()
        resp = {
            "error": 0,
            "message": "Success",
            "data": {
                "msg_id": msg_id,
                "sent_time": sent_time,
                "sending_mode": "1",
                "quota": {"dailyQuota": str(daily), "remainingQuota": str(remaining)},
            },
        }
        if s.args.webhook:
            threading.Thread(target=post_webhook, daemon=True,
                             args=(s, msg_id, phone, track)).start()
        return 200, resp, doc

    # ---- POST /v4/oa/access_token ----------------------------------------
    def handle_refresh(self, body: bytes):
        s = self.state
        if self.command != "POST":
            raise Violation(f"/v4/oa/access_token needs POST, got {self.command}")
        if self.content_type() != "application/x-www-form-urlencoded":
            raise Violation("Content-Type must be application/x-www-form-urlencoded, got "
                            f"{self.headers.get('Content-Type')!r}")
        sk = self.headers.get("secret_key")
        if sk is None:
            raise Violation("missing 'secret_key' header (the app secret goes in a header "
                            "named secret_key, not in the form)")
        if sk != s.args.secret_key:
            raise Violation("secret_key header does not match the app's secret key")
        try:
            text = body.decode("utf-8")
            pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
        except (UnicodeDecodeError, ValueError) as e:
            raise Violation(f"form body does not parse: {e}")
        form = {}
        for k, v in pairs:
            if k in form:
                raise Violation(f"form field '{k}' given twice")
            form[k] = v
        if "secret_key" in form or "app_secret" in form:
            raise Violation("the secret must be sent in the secret_key header, not the form")
        for f in ("app_id", "refresh_token", "grant_type"):
            if not form.get(f):
                raise Violation(f"missing form field '{f}'")
        extra = sorted(set(form) - {"app_id", "refresh_token", "grant_type"})
        if extra:
            raise Violation(f"unexpected form field(s) {extra}")
        if form["grant_type"] != "refresh_token":
            raise Violation(f"grant_type must be refresh_token, got {form['grant_type']!r}")
        if form["app_id"] != s.args.app_id:
            raise Violation(f"app_id {form['app_id']!r} is not this app ({s.args.app_id!r})")
        with s.lock:
            if form["refresh_token"] != s.refresh_token:
                return 200, dict(ERR_REFRESH), form
            s.used_refresh_tokens.append(s.refresh_token)
            s.old_access_tokens.append(s.access_token)
            s.refreshes += 1
            s.access_token = "AT-" + secrets.token_urlsafe(24)
            s.refresh_token = "RT-" + secrets.token_urlsafe(24)
            s.access_expires = time.monotonic() + s.args.token_ttl
            resp = {
                "access_token": s.access_token,
                "refresh_token": s.refresh_token,
                "expires_in": str(int(s.args.token_ttl)),
            }
        return 200, resp, form


def post_webhook(s: State, msg_id: str, phone: str, tracking_id: str):
    """POST the (best-known, see API.md) ZNS delivery event to --webhook."""
    time.sleep(s.args.webhook_delay)
    ts = now_ms()
    event = {
        "app_id": s.args.app_id,
        "event_name": "user_received_message",
        "sender": {"id": s.args.oa_id},
        "recipient": {"id": hashlib.sha256(phone.encode()).hexdigest()[:19]},
        "message": {"msg_id": msg_id, "delivery_time": ts, "tracking_id": tracking_id},
        "timestamp": ts,
    }
    body = json.dumps(event, separators=(",", ":")).encode("utf-8")
    secret = s.args.webhook_secret if s.args.webhook_secret is not None else ""
    mac = hashlib.sha256(s.args.app_id.encode() + body + ts.encode() + secret.encode()).hexdigest()
    sig = mac if s.args.webhook_plain_signature else "mac=" + mac
    headers = {"Content-Type": "application/json", "X-ZEvent-Signature": sig}
    rec = {"ts": iso_now(), "kind": "webhook_out", "url": s.args.webhook,
           "headers": headers, "body": body.decode("utf-8"), "event": event}
    u = urllib.parse.urlsplit(s.args.webhook)
    conn_cls = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
    try:
        conn = conn_cls(u.hostname, u.port, timeout=5)
        # http.client keeps header names exactly as given (urllib would rewrite
        # X-ZEvent-Signature to X-zevent-signature).
        conn.request("POST", (u.path or "/") + (("?" + u.query) if u.query else ""),
                     body=body, headers=headers)
        r = conn.getresponse()
        r.read()
        rec["status"] = r.status
        conn.close()
    except Exception as e:  # connection refused etc.
        rec["error"] = repr(e)
    s.log(rec)


def load_templates(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if not isinstance(doc, dict) or not all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(p, str) for p in v)
            for k, v in doc.items()):
        sys.exit("fake_zns: --templates must be {\"<template_id>\": [\"param\", ...]}")
    return doc


def main(argv=None):
    ap = argparse.ArgumentParser(description="Fake Zalo ZNS + OA OAuth server for tests")
    ap.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    ap.add_argument("--templates", required=True, help='JSON {"<template_id>": ["param",...]}')
    ap.add_argument("--initial-token", default="AT-initial")
    ap.add_argument("--refresh-token", default="RT-initial")
    ap.add_argument("--app-id", default="1234567890123456789")
    ap.add_argument("--secret-key", default="app-secret")
    ap.add_argument("--oa-id", default="9876543210987654321", help="OA id in webhook events")
    ap.add_argument("--token-ttl", type=float, default=90000.0,
                    help="access token lifetime in seconds (real: 90000 = 25 h)")
    ap.add_argument("--not-on-zalo", default="", help="comma-separated 84... phones")
    ap.add_argument("--quota", type=int, default=None,
                    help="successful sends allowed before the daily-quota error")
    ap.add_argument("--log", default=None, help="append one JSON line per request here")
    ap.add_argument("--webhook", default=None, help="URL to POST delivery events to")
    ap.add_argument("--webhook-secret", default=None, help="OA secret key used to sign events")
    ap.add_argument("--webhook-delay", type=float, default=0.2)
    ap.add_argument("--webhook-plain-signature", action="store_true",
                    help="send the bare hex digest instead of 'mac=<hex>'")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)

    Handler.state = State(args, load_templates(args.templates))
    httpd = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    httpd.daemon_threads = True
    print(f"PORT={httpd.server_address[1]}", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()


if __name__ == "__main__":
    main()
