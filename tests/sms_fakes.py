"""Loopback fakes of the SMS providers' HTTP APIs, for the real SDKs to talk to (issue 16).

Each is a small threaded http.server on 127.0.0.1 that speaks its provider's wire format:
- Aliyun dysmsapi 2017-05-25, RPC style: the action in the x-acs-action header, the parameters
  in the query string, a JSON answer with "Code" (SendSms, QuerySendDetails);
- Tencent Cloud sms 2021-01-11: the action in X-TC-Action, a JSON body, a JSON answer under
  "Response" (SendSms, PullSmsSendStatusByPhoneNumber, PullSmsSendStatus). The TC3 signature
  (and Aliyun's ACS3 one) is not checked: the fake is not the provider's security.

`script` says what the next sends meet: "ok", "throttle", "invalid_number", "template",
"hold" (take the message, then keep the caller waiting until `release()`: the worker that sent
it can be killed after the provider accepted) and "down" (HTTP 503). Every message taken is in
`messages`; `deliver(reference, ok, reason)` is the carrier's receipt.
"""

import json
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

BEIJING = timezone(timedelta(hours=8))

ALIYUN_ERRORS = {
    "throttle": ("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1"),
    "invalid_number": ("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"),
    "template": ("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板"),
}
TENCENT_ERRORS = {
    "throttle": (
        "LimitExceeded.PhoneNumberThirtySecondLimit",
        "单个手机号30秒内下发短信条数超过设定的上限",
    ),
    "invalid_number": ("InvalidParameterValue.IncorrectPhoneNumber", "手机号格式错误"),
    "template": ("FailedOperation.TemplateIncorrectOrUnapproved", "模板未审批或内容不匹配"),
}


class FakeProvider:
    def __init__(self, kind: str):
        assert kind in ("aliyun", "tencent")
        self.kind = kind
        self.script: list[str] = []
        self.messages: list[dict] = []  # what the provider took, in order
        self.calls: list[str] = []  # every action called, in order
        self.receipt_queue: list[dict] = []  # Tencent's PullSmsSendStatus, each handed out once
        self.credentials_seen: list[str] = []  # the Authorization headers (signatures)
        self._release = threading.Event()
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                fake._handle(self)

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- the test's side ------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def start(self) -> "FakeProvider":
        self.thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    def release(self) -> None:
        """Answer the held sends (their callers may be long dead)."""
        self._release.set()

    def sends(self) -> list[str]:
        """The correlation field (our reference) of every message taken, in order."""
        return [m["reference"] for m in self.messages]

    def deliver(self, reference: str, ok: bool = True, reason: str = "DELIVERED") -> None:
        """The carrier's receipt for a message."""
        with self._lock:
            for message in self.messages:
                if message["reference"] == reference:
                    message["status"] = 3 if ok else 2
                    message["reason"] = reason if not ok else "DELIVERED"
                    message["received"] = datetime.now(BEIJING)
                    self.receipt_queue.append(message)

    # --- the wire ------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        self.credentials_seen.append(request.headers.get("Authorization", ""))
        if self.kind == "aliyun":
            action = request.headers.get("x-acs-action", "")
            params = {k: v[0] for k, v in parse_qs(urlsplit(request.path).query).items()}
            if raw:
                params.update({k: v[0] for k, v in parse_qs(raw.decode()).items()})
        else:
            action = request.headers.get("X-TC-Action", "")
            params = json.loads(raw or b"{}")
        self.calls.append(action)
        status, answer = getattr(self, f"_{self.kind}_{action}", self._unknown_action)(params)
        if status is None:
            return  # the connection is dropped
        data = json.dumps(answer, ensure_ascii=False).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json;charset=utf-8")
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
        except OSError:
            pass  # the caller is gone (a killed worker)

    def _unknown_action(self, params):
        return 400, {"Code": "InvalidAction.NotFound", "Message": "no such action"}

    def _next(self) -> str:
        with self._lock:
            return self.script.pop(0) if self.script else "ok"

    def _take(self, reference: str, phone: str, template: str, params) -> dict:
        with self._lock:
            message = {
                "id": f"{len(self.messages) + 1:06d}",
                "reference": reference,
                "phone": phone,
                "template": template,
                "params": params,
                "status": 1,  # waiting for the receipt
                "reason": "",
                "sent": datetime.now(BEIJING),
                "received": None,
            }
            self.messages.append(message)
            return message

    def _hold(self) -> None:
        # Accepted, but the answer never comes back while the test holds it.
        self._release.wait(timeout=120)
        time.sleep(0.05)

    # Aliyun ---------------------------------------------------------------------------------

    def _aliyun_SendSms(self, p):
        behaviour = self._next()
        if behaviour == "down":
            return 503, {"Code": "ServiceUnavailable", "Message": "The service is unavailable."}
        if behaviour in ALIYUN_ERRORS:
            code, message = ALIYUN_ERRORS[behaviour]
            return 200, {"Code": code, "Message": message, "RequestId": "fake"}
        message = self._take(
            p.get("OutId", ""),
            p["PhoneNumbers"],
            p["TemplateCode"],
            json.loads(p.get("TemplateParam") or "{}"),
        )
        message["sign"] = p.get("SignName")
        if behaviour == "hold":
            self._hold()
        return 200, {
            "Code": "OK",
            "Message": "OK",
            "BizId": f"{message['id']}^0",
            "RequestId": "fake",
        }

    def _aliyun_QuerySendDetails(self, p):
        day = p["SendDate"]
        rows = [
            m
            for m in self.messages
            if m["phone"] == p["PhoneNumber"]
            and f"{m['sent']:%Y%m%d}" == day
            and (not p.get("BizId") or f"{m['id']}^0" == p["BizId"])
        ]
        return 200, {
            "Code": "OK",
            "Message": "OK",
            "RequestId": "fake",
            "TotalCount": len(rows),
            "SmsSendDetailDTOs": {
                "SmsSendDetailDTO": [
                    {
                        "PhoneNum": m["phone"],
                        "SendStatus": m["status"],
                        "ErrCode": m["reason"],
                        "TemplateCode": m["template"],
                        "Content": "(text)",
                        "SendDate": f"{m['sent']:%Y-%m-%d %H:%M:%S}",
                        "ReceiveDate": f"{m['received']:%Y-%m-%d %H:%M:%S}"
                        if m["received"]
                        else "",
                        "OutId": m["reference"],
                    }
                    for m in rows
                ]
            },
        }

    # Tencent --------------------------------------------------------------------------------

    def _tencent_error(self, code, message):
        return 200, {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": "f"}}

    def _tencent_SendSms(self, p):
        behaviour = self._next()
        (phone,) = p["PhoneNumberSet"]
        if behaviour == "down":
            return 503, {"Response": {}}
        status = {
            "PhoneNumber": phone,
            "Fee": 1,
            "SessionContext": p.get("SessionContext", ""),
            "IsoCode": "CN",
        }
        if behaviour in TENCENT_ERRORS:
            code, message = TENCENT_ERRORS[behaviour]
            status.update(SerialNo="", Code=code, Message=message)
        else:
            message = self._take(
                p.get("SessionContext", ""), phone, p["TemplateId"], p.get("TemplateParamSet")
            )
            message["sign"] = p.get("SignName")
            status.update(SerialNo=f"2433:{message['id']}", Code="Ok", Message="send success")
            if behaviour == "hold":
                self._hold()
        return 200, {"Response": {"SendStatusSet": [status], "RequestId": "fake"}}

    @staticmethod
    def _tencent_status(m):
        return {
            "UserReceiveTime": int((m["received"] or m["sent"]).timestamp()),
            "CountryCode": "86",
            "SubscriberNumber": m["phone"][3:],
            "PhoneNumber": m["phone"],
            "SerialNo": f"2433:{m['id']}",
            "ReportStatus": "SUCCESS" if m["status"] == 3 else "FAIL",
            "Description": "用户短信送达成功" if m["status"] == 3 else m["reason"],
            "SessionContext": m["reference"],
        }

    def _tencent_PullSmsSendStatusByPhoneNumber(self, p):
        begin, end = p["BeginTime"], p.get("EndTime") or 2**31
        rows = [
            self._tencent_status(m)
            for m in self.messages
            if m["phone"] == p["PhoneNumber"]
            and m["status"] != 1  # listed only with its receipt
            and begin <= m["sent"].timestamp() <= end
        ]
        return 200, {"Response": {"PullSmsSendStatusSet": rows, "RequestId": "fake"}}

    def _tencent_PullSmsSendStatus(self, p):
        with self._lock:
            queue, self.receipt_queue = (
                self.receipt_queue[: p["Limit"]],
                self.receipt_queue[p["Limit"] :],
            )
        rows = [self._tencent_status(m) for m in queue]
        return 200, {"Response": {"PullSmsSendStatusSet": rows, "RequestId": "fake"}}


# Credentials the tests give the backends: they must never show in a log, a page or an error.
ALIYUN_ENV = {
    "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI-test-key-id-4f1c",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "aliyun-secret-Zq81xUe7",
}
TENCENT_ENV = {
    "TENCENTCLOUD_SECRET_ID": "AKID-test-secret-id-9d2e",
    "TENCENTCLOUD_SECRET_KEY": "tencent-secret-Hy62wPa0",
    "TENCENT_SMS_SDK_APP_ID": "1400006666",
}


def template_codes(kind: str) -> dict:
    """A provider code for every declared customer SMS template."""
    from dispatch.sms import TEMPLATES

    return {
        name: (f"SMS_{100000 + i}" if kind == "aliyun" else str(1000 + i))
        for i, name in enumerate(sorted(TEMPLATES))
    }
