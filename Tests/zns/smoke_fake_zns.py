#!/usr/bin/env python3
"""Smoke test for fake_zns.py: starts it, exercises every case, prints results.

Exit status 0 when every expectation holds.  Standard library only.
"""

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
APP_ID, SECRET, OA_SECRET = "1111222233334444555", "s3cret", "oa-s3cret"
received = []


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        received.append((self.headers, body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


def call(base, path, body, headers):
    req = urllib.request.Request(base + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def send(base, token, **over):
    doc = {"phone": "84912345678", "template_id": "250001",
           "template_data": {"ticket_id": "HP-001", "status": "received", "hotline": "1022"},
           "tracking_id": "trk-1"}
    doc.update(over)
    for k in [k for k, v in doc.items() if v is None]:
        del doc[k]
    return call(base, "/message/template", json.dumps(doc).encode(),
                {"Content-Type": "application/json", "access_token": token})


def refresh(base, rt, secret=SECRET):
    form = urllib.parse.urlencode({"app_id": APP_ID, "refresh_token": rt,
                                   "grant_type": "refresh_token"}).encode()
    return call(base, "/v4/oa/access_token", form,
                {"Content-Type": "application/x-www-form-urlencoded", "secret_key": secret})


def main():
    hook = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    tmp = tempfile.mkdtemp()
    log = os.path.join(tmp, "zns.log")
    cmd = [sys.executable, os.path.join(HERE, "fake_zns.py"), "--port", "0",
           "--templates", os.path.join(HERE, "templates.example.json"),
           "--initial-token", "AT-0", "--refresh-token", "RT-0",
           "--app-id", APP_ID, "--secret-key", SECRET, "--token-ttl", "2",
           "--not-on-zalo", "84900000001", "--quota", "3", "--log", log,
           "--webhook", f"http://127.0.0.1:{hook.server_address[1]}/zalo",
           "--webhook-secret", OA_SECRET, "--webhook-delay", "0.05"]
    print("$", " ".join(cmd))
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    port = int(p.stdout.readline().strip().split("=")[1])
    base = f"http://127.0.0.1:{port}"
    fails = 0

    def check(name, got, cond):
        nonlocal fails
        ok = cond(got)
        fails += not ok
        print(f"{'PASS' if ok else 'FAIL'} {name}: {json.dumps(got, ensure_ascii=False)}")

    try:
        check("success", send(base, "AT-0"),
              lambda r: r[0] == 200 and r[1]["error"] == 0 and r[1]["data"]["msg_id"])
        time.sleep(2.1)
        check("expired token", send(base, "AT-0"), lambda r: r == (200, r[1]) and r[1]["error"] == -124)
        st, rr = refresh(base, "RT-0")
        check("refresh", (st, rr), lambda r: r[0] == 200 and isinstance(r[1]["expires_in"], str)
              and r[1]["refresh_token"] != "RT-0")
        check("success after refresh", send(base, rr["access_token"]), lambda r: r[1]["error"] == 0)
        check("old refresh token refused", refresh(base, "RT-0"), lambda r: r[1]["error"] == -14014)
        check("wrong secret_key", refresh(base, rr["refresh_token"], "nope"),
              lambda r: r[0] == 400 and r[1]["error"] == -999)
        st, rr2 = refresh(base, rr["refresh_token"])
        check("second refresh (new RT works)", (st, rr2), lambda r: r[0] == 200)
        at = rr2["access_token"]
        check("previous access token refused", send(base, rr["access_token"]),
              lambda r: r[1]["error"] == -124)
        check("not on Zalo", send(base, at, phone="84900000001"), lambda r: r[1]["error"] == -118)
        check("invalid template", send(base, at, template_id="999999"), lambda r: r[1]["error"] == -109)
        check("malformed: phone 0-form", send(base, at, phone="0912345678"),
              lambda r: r[0] == 400 and r[1]["error"] == -999)
        check("malformed: template_data keys", send(base, at, template_data={"ticket_id": "x"}),
              lambda r: r[0] == 400)
        check("malformed: no tracking_id", send(base, at, tracking_id=None), lambda r: r[0] == 400)
        check("malformed: not JSON", call(base, "/message/template", b"phone=84912345678",
              {"Content-Type": "application/json", "access_token": at}), lambda r: r[0] == 400)
        check("malformed: Bearer instead of access_token header",
              call(base, "/message/template", b"{}", {"Content-Type": "application/json",
                                                      "Authorization": "Bearer " + at}),
              lambda r: r[0] == 400)
        check("success #3 (quota 3)", send(base, at, mode="development"), lambda r: r[1]["error"] == 0
              and r[1]["data"]["quota"]["remainingQuota"] == "0")
        check("quota exceeded", send(base, at), lambda r: r[1]["error"] == -144)
        time.sleep(0.5)
        ok_sigs = 0
        for h, body in received:
            ev = json.loads(body)
            mac = hashlib.sha256((APP_ID + body.decode() + ev["timestamp"] + OA_SECRET).encode()).hexdigest()
            ok_sigs += h.get("X-ZEvent-Signature") == "mac=" + mac
        check("webhooks received & signed", {"received": len(received), "valid_sig": ok_sigs,
              "first": json.loads(received[0][1]) if received else None},
              lambda r: r["received"] == 3 and r["valid_sig"] == 3)
    finally:
        p.terminate()
        p.wait()
        hook.shutdown()
    lines = open(log).read().splitlines()
    print(f"log lines: {len(lines)}; first line:\n{lines[0]}")
    print("ALL PASS" if not fails else f"{fails} FAILED")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
