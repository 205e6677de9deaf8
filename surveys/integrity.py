"""The SHA-256 digest that proves a signed survey is as the customer signed it (R23).

The digest covers the answers, the work order, the signature (image and strokes), how and where it
was signed, and the visit's test measurements as they are in the database. `verify()`
recomputes it from the stored rows, so a changed answer, a swapped signature or an edited
measurement all show. The digest is also sealed with an HMAC of the server's key, so rewriting a
row together with its digest needs more than database access.
"""

import hashlib
import hmac
import json
from datetime import UTC, datetime
from decimal import Decimal

from django.core.signing import salted_hmac
from django.utils.translation import gettext as _

from visits.models import Measurement, MeasurementImport
from visits.verdicts import samples_digest, visit_verdicts

SEAL_SALT = "surveys.response.seal"
DIGEST_VERSION = 1


def canonical_json(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _instant(value: datetime, timespec: str = "microseconds") -> str:
    """One spelling per instant: an aware time in UTC, whatever zone it was handed in."""
    return value.astimezone(UTC).isoformat(timespec=timespec)


def _decimal(value, places: int) -> str:
    return f"{Decimal(value):.{places}f}"


def measurement_snapshot(visit_id: int) -> list[dict]:
    """The visit's network tests as plain data, in a stable order and format: the typed tests;
    each imported log (issue 18) as its file, sample count and a SHA-256 over its samples as
    stored; last, the verdict per place and phase the customer confirms (kind "verdict")."""
    rows = Measurement.objects.filter(visit_id=visit_id).order_by("measured_at", "id")
    imports = [
        {
            "kind": "import",
            "id": upload.pk,
            "file": upload.file_name,
            "format": upload.file_format,
            "samples": upload.sample_count,
            "samples_sha256": samples_digest(upload.pk),
        }
        for upload in MeasurementImport.objects.filter(visit_id=visit_id).order_by("id")
    ]
    verdicts = [verdict.as_data() for verdict in visit_verdicts(visit_id)]
    return typed_snapshot(rows) + imports + verdicts


def signed_verdicts(snapshot: list[dict]) -> list[dict]:
    return [entry for entry in snapshot if entry.get("kind") == "verdict"]


def as_signed(live: list[dict], stored: list[dict]) -> list[dict]:
    """The live tests with the verdicts as signed: a verdict follows the supervisor's thresholds,
    which may move after signing; the tests and samples it came from may not."""
    return [entry for entry in live if entry.get("kind") != "verdict"] + signed_verdicts(stored)


def typed_snapshot(rows) -> list[dict]:
    return [
        {
            "id": m.pk,
            "phase": m.phase,
            "network": m.network,
            "place": m.place,
            "rsrp_dbm": _decimal(m.rsrp_dbm, 1),
            "sinr_db": _decimal(m.sinr_db, 1),
            "download_mbps": _decimal(m.download_mbps, 2),
            "upload_mbps": _decimal(m.upload_mbps, 2),
            "latency_ms": m.latency_ms,
            "call_result": m.call_result,
            "measured_at": _instant(m.measured_at, "seconds"),
        }
        for m in rows
    ]


def answer_data(answer) -> dict:
    return {
        "question": answer.question_id,
        "position": answer.position,
        "code": answer.code,
        "kind": answer.kind,
        "text": answer.text,
        "importance": answer.importance,
        "score": answer.score,
        "yes": answer.yes,
        "comment": answer.comment,
    }


def digest_payload(response, answers, measurements) -> dict:
    """Everything the digest covers. `answers` are Answer rows; `measurements` plain data."""
    return {
        "v": DIGEST_VERSION,
        "visit": response.visit_id,
        "link": response.link_id,
        "signed_at": _instant(response.signed_at),
        "channel": response.channel,
        "verified_by_code": response.verified_by_code,
        "phone": response.phone.as_e164 if response.phone else "",
        "ip": response.ip_address or "",
        "user_agent": response.user_agent,
        "session_user": response.session_user_id,
        "work_order": response.work_order_text,
        "answers": [answer_data(a) for a in sorted(answers, key=lambda a: (a.position, a.code))],
        "signature": {
            "png_sha256": sha256_hex(bytes(response.signature_png)),
            "strokes": response.signature_strokes,
        },
        "measurements": measurements,
    }


def compute_digest(response, answers, measurements) -> str:
    return sha256_hex(canonical_json(digest_payload(response, answers, measurements)))


def compute_seal(digest: str) -> str:
    return salted_hmac(SEAL_SALT, digest, algorithm="sha256").hexdigest()


def integrity_problems(response) -> list[str]:
    """What no longer matches the signature, in sentences a supervisor understands.
    `response` is a SurveyResponse; this module reads its rows through it and imports no model
    of its own app (surveys.models uses it, not the other way round)."""
    # Re-read from the database: the check is about the stored rows, not this instance.
    stored = type(response).objects.get(pk=response.pk)
    answers = list(stored.answers.all())
    live = as_signed(measurement_snapshot(stored.visit_id), stored.measurements)
    problems = []
    if not hmac.compare_digest(compute_seal(stored.digest), stored.seal):
        problems.append(
            _("The digest is not the one the system sealed when the survey was signed.")
        )
    if live != stored.measurements:
        problems.append(_("The visit's test results have changed since the customer signed."))
    if not hmac.compare_digest(compute_digest(stored, answers, live), stored.digest):
        problems.append(
            _("The signed record does not match its SHA-256 digest: it was changed after signing.")
        )
    return problems
