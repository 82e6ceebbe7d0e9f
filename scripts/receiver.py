#!/usr/bin/env python3
"""A webhook receiver for the local stack (scripts/dev.sh starts it): checks
each request's Standard Webhooks signature with the secret in SECRET_FILE
and prints the CloudEvent it carried. Answers 204 to a valid one, 401
otherwise.

    scripts/receiver.py PORT SECRET_FILE
"""
import base64
import hashlib
import hmac
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


def keys(path):
    with open(path) as f:
        return [base64.b64decode(l.strip()[len("whsec_"):]) for l in f if l.strip()]


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        msg_id = self.headers.get("webhook-id", "")
        stamp = self.headers.get("webhook-timestamp", "")
        signed = f"{msg_id}.{stamp}.".encode() + body
        given = [s.split(",", 1)[1] for s in self.headers.get("webhook-signature", "").split()
                 if s.startswith("v1,")]
        ok = any(
            hmac.compare_digest(base64.b64encode(hmac.new(k, signed, hashlib.sha256).digest()).decode(), g)
            for k in KEYS for g in given)
        self.send_response(204 if ok else 401)
        self.end_headers()
        event = json.loads(body or b"null")
        verdict = "signature verified" if ok else "BAD SIGNATURE"
        print(f"[receiver] {event.get('type')} {event.get('subject')} ({verdict}, webhook-id {msg_id})",
              flush=True)
        print(json.dumps(event, indent=2), flush=True)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port, secret_file = int(sys.argv[1]), sys.argv[2]
    KEYS = keys(secret_file)
    HTTPServer(("127.0.0.1", port), Hook).serve_forever()
