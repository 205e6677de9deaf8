"""SMS through Aliyun (dysmsapi 2017-05-25) and Tencent Cloud (sms 2021-01-11), with their
official SDKs (docs/operations.md#sms-providers, docs/design.md#messages).

Each send is our template's code at the provider (settings.SMS TEMPLATE_CODES) plus its
parameters (dispatch.sms), with our message's stable reference as the correlation field
(Aliyun OutId, Tencent SessionContext). Exactly once at the gateway: a message whose outcome was
lost (a worker killed after the send, a timeout) is looked up at the provider by that reference
before it is sent again (`lookup`); the carriers' receipts are pulled on the beat (`receipts`).

Credentials come from the environment only (ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET,
TENCENTCLOUD_SECRET_ID/KEY); they are not settings, so no settings page, debug page or log
shows them, and no error message here quotes them or the text the customer gets (R23).

Provider errors, mapped (DeliveryError):
- throttled (Aliyun isv.BUSINESS_LIMIT_CONTROL, Tencent LimitExceeded.*): tried again later;
- an invalid number (isv.MOBILE_NUMBER_ILLEGAL, InvalidParameterValue.IncorrectPhoneNumber):
  failed, shown on the ticket;
- our set-up refused (template or signature not approved, bad credentials, no balance):
  failed, and the supervisors are alerted;
- a timeout or a lost connection: the outcome is unknown, so the provider is asked first;
- anything else: tried again with backoff.
"""

import json
import os
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from .backends import DeliveryError, GatewayRecord, OutboxBackend, Receipt, reference
from .models import DeliveryProblem, Notification, NotificationChannel
from .sms import customer_params, ordered_variables, template_code

ALIYUN_THROTTLED = {"isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "Throttling.User"}
ALIYUN_INVALID_NUMBER = {"isv.MOBILE_NUMBER_ILLEGAL", "isv.MOBILE_COUNT_OVER_LIMIT"}
ALIYUN_SETUP = {
    "isv.SMS_TEMPLATE_ILLEGAL",
    "isv.SMS_SIGNATURE_ILLEGAL",
    "isv.SMS_SIGNATURE_SCENE_ILLEGAL",
    "isv.SIGN_NAME_ILLEGAL",
    "isv.TEMPLATE_MISSING_PARAMETERS",
    "isv.TEMPLATE_PARAMS_ILLEGAL",
    "isv.INVALID_PARAMETERS",
    "isv.PARAM_LENGTH_LIMIT",
    "isv.INVALID_JSON_PARAM",
    "isv.ACCOUNT_NOT_EXISTS",
    "isv.ACCOUNT_ABNORMAL",
    "isv.OUT_OF_SERVICE",
    "isv.AMOUNT_NOT_ENOUGH",
    "isv.PRODUCT_UN_SUBSCRIPT",
    "isv.PRODUCT_UNSUBSCRIBE",
    "isv.DENY_IP_RANGE",
    "isp.RAM_PERMISSION_DENY",
    "InvalidAccessKeyId.NotFound",
    "InvalidAccessKeyId.Inactive",
    "SignatureDoesNotMatch",
    "Forbidden.RAM",
}
TENCENT_INVALID_NUMBER = {
    "InvalidParameterValue.IncorrectPhoneNumber",
    "FailedOperation.PhoneNumberInBlacklist",
    "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber",
}
TENCENT_SETUP_PREFIXES = (
    "FailedOperation.TemplateIncorrectOrUnapproved",
    "FailedOperation.SignatureIncorrectOrUnapproved",
    "FailedOperation.MissingSignature",
    "FailedOperation.MissingTemplate",
    "FailedOperation.ContainSensitiveWord",
    "FailedOperation.InsufficientBalanceInSmsPackage",
    "InvalidParameterValue.TemplateParameterFormatError",
    "InvalidParameterValue.TemplateParameterLengthLimit",
    "InvalidParameterValue.SdkAppIdNotExist",
    "InvalidParameter",
    "UnauthorizedOperation",
    "AuthFailure",
)


def _error(provider: str, code: str, message: str, *, throttled, invalid, setup) -> DeliveryError:
    text = f"{provider} {code}: {message}"[:500]
    if throttled:
        return DeliveryError(text, problem=DeliveryProblem.THROTTLED)
    if invalid:
        return DeliveryError(text, permanent=True, problem=DeliveryProblem.INVALID_NUMBER)
    if setup:
        return DeliveryError(text, alert=True, problem=DeliveryProblem.PROVIDER_SETUP)
    return DeliveryError(text, problem=DeliveryProblem.GATEWAY)


def aliyun_error(code: str, message: str) -> DeliveryError:
    return _error(
        "Aliyun",
        code,
        message,
        throttled=code in ALIYUN_THROTTLED or code.startswith("Throttling"),
        invalid=code in ALIYUN_INVALID_NUMBER,
        setup=code in ALIYUN_SETUP,
    )


def tencent_error(code: str, message: str) -> DeliveryError:
    return _error(
        "Tencent",
        code,
        message,
        throttled=code.startswith("LimitExceeded") or code == "RequestLimitExceeded",
        invalid=code in TENCENT_INVALID_NUMBER,
        setup=code.startswith(TENCENT_SETUP_PREFIXES),
    )


def _unknown(provider: str, exc: Exception) -> DeliveryError:
    # Only the exception's type: its text may hold the request (the customer's parameters).
    return DeliveryError(
        f"{provider}: no answer ({type(exc).__name__}); the provider will be asked before the "
        "message is sent again",
        unknown=True,
        problem=DeliveryProblem.UNKNOWN,
    )


def _endpoint(default_host: str) -> tuple[str, str]:
    """(scheme, host[:port]) of the provider's API: SMS_ENDPOINT when set (a proxy, the tests'
    loopback fake), else the provider's public host over HTTPS."""
    configured = settings.SMS.get("ENDPOINT") or ""
    if not configured:
        return "https", default_host
    if "://" not in configured:
        return "https", configured
    parts = urlsplit(configured)
    return parts.scheme, parts.netloc


def _require(*names: str) -> list[str]:
    values = [os.environ.get(name, "") for name in names]
    missing = [name for name, value in zip(names, values, strict=True) if not value]
    if missing:
        raise ImproperlyConfigured(
            f"The SMS backend needs {', '.join(missing)} in the environment."
        )
    return values


def _sign_name() -> str:
    sign = settings.SMS.get("SIGN_NAME") or ""
    if not sign:
        raise ImproperlyConfigured("The SMS backend needs SMS_SIGN_NAME (the approved signature).")
    return sign


def _code_for(notification: Notification) -> str:
    code = template_code(notification.template)
    if not code:
        raise DeliveryError(
            f"No provider template code for {notification.template!r} (SMS_TEMPLATE_CODES).",
            alert=True,
            problem=DeliveryProblem.PROVIDER_SETUP,
        )
    return code


def _beijing(value: datetime) -> datetime:
    return timezone.localtime(value, timezone.get_fixed_timezone(480))


def _parse_beijing(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        naive = datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return timezone.make_aware(naive, timezone.get_fixed_timezone(480))


def _attempted_at(notification: Notification) -> datetime:
    return notification.attempted_at or notification.created_at


def _timeout() -> float:
    return float(settings.SMS.get("TIMEOUT_SECONDS") or 10)


class AliyunBackend(OutboxBackend):
    """Aliyun SMS: SendSms (SignName, TemplateCode, TemplateParam, OutId), QuerySendDetails."""

    provider = "aliyun"

    def __init__(self):
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi import models as openapi

        key_id, key_secret = _require(
            "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
        )
        self.sign_name = _sign_name()
        scheme, host = _endpoint("dysmsapi.aliyuncs.com")
        millis = int(_timeout() * 1000)
        self.client = Client(
            openapi.Config(
                access_key_id=key_id,
                access_key_secret=key_secret,
                endpoint=host,
                protocol=scheme.upper(),
                connect_timeout=millis,
                read_timeout=millis,
            )
        )

    def _runtime(self):
        from darabonba.runtime import RuntimeOptions

        millis = int(_timeout() * 1000)
        # No retries inside the SDK: the outbox retries, after asking what became of the try.
        return RuntimeOptions(autoretry=False, connect_timeout=millis, read_timeout=millis)

    @staticmethod
    def _number(notification: Notification) -> str:
        """Aliyun's format: 11 digits in China, else the country code and the number."""
        phone = notification.to_phone
        if phone.country_code == 86:
            return str(phone.national_number)
        return f"{phone.country_code}{phone.national_number}"

    def _call(self, method, request):
        from Tea.exceptions import TeaException, UnretryableException

        try:
            return method(request, self._runtime()).body
        except UnretryableException as exc:  # no answer: the request may have gone through
            raise _unknown("Aliyun", exc) from None
        except TeaException as exc:
            status = getattr(exc, "status_code", None) or 0
            if status >= 500:
                raise _unknown("Aliyun", exc) from None
            raise aliyun_error(str(exc.code or ""), str(exc.message or "")[:200]) from None

    def send(self, notification: Notification) -> str:
        if notification.channel != NotificationChannel.SMS:
            return ""
        from alibabacloud_dysmsapi20170525 import models

        request = models.SendSmsRequest(
            phone_numbers=self._number(notification),
            sign_name=self.sign_name,
            template_code=_code_for(notification),
            template_param=json.dumps(customer_params(notification), ensure_ascii=False),
            out_id=reference(notification),
        )
        body = self._call(self.client.send_sms_with_options, request)
        if body.code != "OK":
            raise aliyun_error(str(body.code), str(body.message or ""))
        return str(body.biz_id or "")[:100]

    def _details(self, notification: Notification, day: datetime) -> list:
        from alibabacloud_dysmsapi20170525 import models

        request = models.QuerySendDetailsRequest(
            phone_number=self._number(notification),
            send_date=f"{_beijing(day):%Y%m%d}",
            biz_id=notification.external_id or None,
            page_size=50,
            current_page=1,
        )
        body = self._call(self.client.query_send_details_with_options, request)
        if body.code != "OK":
            raise aliyun_error(str(body.code), str(body.message or ""))
        dtos = body.sms_send_detail_dtos
        return list(dtos.sms_send_detail_dto or []) if dtos else []

    def _record(self, notification: Notification) -> GatewayRecord | None:
        ref = reference(notification)
        days = {f"{_beijing(d):%Y%m%d}": d for d in (_attempted_at(notification), timezone.now())}
        for day in days.values():
            for detail in self._details(notification, day):
                if detail.out_id == ref:
                    # 1 waiting for the receipt, 2 failed, 3 delivered.
                    delivered = {3: True, 2: False}.get(int(detail.send_status or 1))
                    return GatewayRecord(
                        external_id=notification.external_id,
                        delivered=delivered,
                        reason=str(detail.err_code or "") if delivered is False else "",
                        at=_parse_beijing(detail.receive_date),
                    )
        return None

    def lookup(self, notification: Notification) -> GatewayRecord | None:
        """QuerySendDetails by number and day, matched on our OutId: Aliyun lists a message
        as soon as it took it (status 1, waiting for the receipt)."""
        return self._record(notification)

    def receipts(self, notifications) -> list[Receipt]:
        found = []
        for notification in notifications:
            record = self._record(notification)
            if record and record.delivered is not None:
                found.append(
                    Receipt(reference(notification), record.delivered, record.reason, record.at)
                )
        return found


class TencentBackend(OutboxBackend):
    """Tencent Cloud SMS: SendSms (SmsSdkAppId, SignName, TemplateId, TemplateParamSet,
    SessionContext), PullSmsSendStatusByPhoneNumber, PullSmsSendStatus."""

    provider = "tencent"

    def __init__(self):
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        secret_id, secret_key, app_id = _require(
            "TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "TENCENT_SMS_SDK_APP_ID"
        )
        self.app_id = app_id
        self.sign_name = _sign_name()
        scheme, host = _endpoint("sms.tencentcloudapi.com")
        profile = HttpProfile(endpoint=host, protocol=scheme, reqTimeout=int(_timeout()))
        self.client = sms_client.SmsClient(
            credential.Credential(secret_id, secret_key),
            settings.SMS.get("TENCENT_REGION") or "ap-guangzhou",
            ClientProfile(httpProfile=profile),
        )

    def _call(self, action: str, request):
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )

        try:
            return getattr(self.client, action)(request)
        except TencentCloudSDKException as exc:
            code = str(exc.get_code() or "")
            if code in ("ClientNetworkError", "ServerNetworkError") or code.startswith(
                "InternalError"
            ):
                raise _unknown("Tencent", exc) from None
            raise tencent_error(code, str(exc.get_message() or "")[:200]) from None

    def send(self, notification: Notification) -> str:
        if notification.channel != NotificationChannel.SMS:
            return ""
        from tencentcloud.sms.v20210111 import models

        params = customer_params(notification)
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [notification.to_phone.as_e164]
        request.SmsSdkAppId = self.app_id
        request.SignName = self.sign_name
        request.TemplateId = _code_for(notification)
        request.TemplateParamSet = [params[var] for var in ordered_variables(notification.template)]
        request.SessionContext = reference(notification)
        response = self._call("SendSms", request)
        (status,) = response.SendStatusSet or [None]
        if status is None:
            raise DeliveryError("Tencent: empty answer", unknown=True)
        if status.Code != "Ok":
            raise tencent_error(str(status.Code), str(status.Message or ""))
        return str(status.SerialNo or "")[:100]

    def lookup(self, notification: Notification) -> GatewayRecord | None:
        """PullSmsSendStatusByPhoneNumber since the lost attempt, matched on our
        SessionContext. Tencent lists a message only once the carrier's receipt came: one not
        listed yet is still unknown while the receipt may be on its way (LOOKUP_GRACE_SECONDS);
        after that, it never went."""
        from tencentcloud.sms.v20210111 import models

        attempted = _attempted_at(notification)
        request = models.PullSmsSendStatusByPhoneNumberRequest()
        request.BeginTime = int((attempted - timedelta(minutes=1)).timestamp())
        request.EndTime = int(timezone.now().timestamp()) + 60
        request.Offset = 0
        request.Limit = 100
        request.PhoneNumber = notification.to_phone.as_e164
        request.SmsSdkAppId = self.app_id
        response = self._call("PullSmsSendStatusByPhoneNumber", request)
        ref = reference(notification)
        for status in response.PullSmsSendStatusSet or []:
            if status.SessionContext == ref:
                return GatewayRecord(
                    external_id=str(status.SerialNo or notification.external_id),
                    delivered=status.ReportStatus == "SUCCESS",
                    reason=str(status.Description or ""),
                    at=_from_unix(status.UserReceiveTime),
                )
        grace = timedelta(seconds=float(settings.SMS.get("LOOKUP_GRACE_SECONDS", 300)))
        if timezone.now() - attempted < grace:
            raise DeliveryError(
                "Tencent: no receipt yet for a message whose outcome is unknown; asking again "
                "later",
                unknown=True,
                problem=DeliveryProblem.UNKNOWN,
            )
        return None

    def receipts(self, notifications) -> list[Receipt]:
        """PullSmsSendStatus: the receipts Tencent holds for us, each handed out once."""
        from tencentcloud.sms.v20210111 import models

        request = models.PullSmsSendStatusRequest()
        request.Limit = 100
        request.SmsSdkAppId = self.app_id
        response = self._call("PullSmsSendStatus", request)
        return [
            Receipt(
                str(status.SessionContext or ""),
                status.ReportStatus == "SUCCESS",
                str(status.Description or "") if status.ReportStatus != "SUCCESS" else "",
                _from_unix(status.UserReceiveTime),
            )
            for status in response.PullSmsSendStatusSet or []
            if status.SessionContext
        ]


def _from_unix(value) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=timezone.get_fixed_timezone(0))
    except (TypeError, ValueError):
        return None
