"""Reading the engineer's network-test logs: CellMapper's CSV export, G-NetTrack / G-NetReport
logs, and our own CSV template (docs/measurement-logs.md). Pure: bytes in, samples and errors
out, no database, so a 10,000-line file is read before the visit's lock is taken.

Each format is a set of accepted header names per field (case, spaces and underscores ignored).
A file is refused as a whole when any line is wrong, with every error found (up to
MAX_ERRORS listed), each saying the line, the column and what to do: nothing half-imported.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import CallResult, LogFormat, Network, Phase

MAX_BYTES = 5 * 1024 * 1024  # 10,000 samples of any of the formats take under 2 MB
MAX_SAMPLES = 20_000
MAX_ERRORS = 20
# A phone's clock may run a little ahead of the server's.
CLOCK_SLACK_MINUTES = 10

# The limits of the values stored (the model's check constraints hold the same).
LIMITS = {
    "rsrp_dbm": (Decimal("-156"), Decimal("-31")),
    "rsrq_db": (Decimal("-43"), Decimal("20")),
    "sinr_db": (Decimal("-30"), Decimal("50")),
    "download_mbps": (Decimal("0"), Decimal("99999")),
    "upload_mbps": (Decimal("0"), Decimal("99999")),
    "latency_ms": (Decimal("0"), Decimal("60000")),
    "pci": (Decimal("0"), Decimal("1007")),
}

COLUMN_LABELS = {
    "measured_at": gettext_lazy("time"),
    "place": gettext_lazy("place"),
    "phase": gettext_lazy("phase"),
    "network": gettext_lazy("network"),
    "operator": gettext_lazy("operator"),
    "rsrp_dbm": "RSRP",
    "rsrq_db": "RSRQ",
    "sinr_db": "SINR",
    "cell_id": gettext_lazy("cell id"),
    "pci": "PCI",
    "download_mbps": gettext_lazy("download"),
    "upload_mbps": gettext_lazy("upload"),
    "latency_ms": gettext_lazy("latency"),
    "call_result": gettext_lazy("call test"),
}


def _key(name: str) -> str:
    return re.sub(r"[\s_\-()./]+", "", (name or "").strip().lower())


@dataclass(frozen=True)
class Format:
    code: str
    # field -> accepted header names; `required` must all be found.
    columns: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    # What tells this format apart: one of these headers must be present.
    marks: tuple[str, ...]
    # Throughput unit of the file: kbit/s (G-NetTrack) or Mbit/s.
    kbps: bool = False
    # Values the app writes for "no reading".
    blanks: tuple[str, ...] = ("", "-", "--", "n/a", "na", "null", "none")
    # App logs skip a line without a signal reading (no service for a moment); ours refuses it.
    skip_without_signal: bool = True


OURS = Format(
    code=LogFormat.SEED,
    columns={
        "measured_at": ("time",),
        "place": ("place",),
        "phase": ("phase",),
        "network": ("network",),
        "rsrp_dbm": ("rsrp_dbm",),
        "rsrq_db": ("rsrq_db",),
        "sinr_db": ("sinr_db",),
        "cell_id": ("cell_id",),
        "pci": ("pci",),
        "download_mbps": ("download_mbps",),
        "upload_mbps": ("upload_mbps",),
        "latency_ms": ("latency_ms",),
        "call_result": ("call_result",),
    },
    required=("measured_at", "place", "phase", "network", "rsrp_dbm"),
    marks=("rsrp_dbm",),
    skip_without_signal=False,
)
# G-NetTrack Pro / G-NetReport: a tab-separated text log (CSV when exported), one line per
# second; RSRP is "Level" in the app's own log and "RSRP" in its exports, RSRQ "Qual".
GNETTRACK = Format(
    code=LogFormat.GNETTRACK,
    columns={
        "measured_at": ("Timestamp",),
        "network": ("NetworkTech", "NetworkMode", "Network"),
        "operator": ("Operatorname", "Operator"),
        "rsrp_dbm": ("RSRP", "Level"),
        "rsrq_db": ("RSRQ", "Qual"),
        "sinr_db": ("SNR", "SINR"),
        "cell_id": ("CGI",),
        "cell_site": ("Node",),
        "cell_local": ("CellID",),
        "pci": ("PCI", "PSC"),
        "download_mbps": ("DL_bitrate",),
        "upload_mbps": ("UL_bitrate",),
        "latency_ms": ("PINGAVG", "Ping"),
    },
    required=("measured_at", "network", "rsrp_dbm"),
    marks=("Operatorname", "NetworkTech", "NetworkMode", "DL_bitrate"),
    kbps=True,
)
# CellMapper's CSV export. Its exact column set is not published; these are the names its
# data view and exports use (docs/measurement-logs.md says what was and wasn't confirmed).
CELLMAPPER = Format(
    code=LogFormat.CELLMAPPER,
    columns={
        "measured_at": ("Date", "Time", "Timestamp", "Date Time"),
        "network": ("System", "Network Type", "Technology", "Network", "RAT"),
        "operator": ("Provider", "Carrier", "Network Name", "MCCMNC", "PLMN"),
        "mcc": ("MCC",),
        "mnc": ("MNC",),
        "rsrp_dbm": ("RSRP", "Signal", "Signal Strength"),
        "rsrq_db": ("RSRQ",),
        "sinr_db": ("SINR", "SNR", "RSSNR"),
        "cell_id": ("CGI", "ECGI", "NCGI"),
        "cell_site": ("eNB", "gNB", "eNB ID", "gNB ID"),
        "cell_local": ("Cell ID", "CID", "CellID", "Sector"),
        "pci": ("PCI",),
    },
    required=("measured_at", "rsrp_dbm"),
    marks=("MCC", "MNC", "eNB", "gNB", "eNB ID", "TAC", "EARFCN", "ARFCN"),
)
FORMATS = (OURS, GNETTRACK, CELLMAPPER)

TIME_FORMATS = (
    "%Y.%m.%d_%H.%M.%S",  # G-NetTrack
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
)
NETWORK_WORDS = {
    Network.G4: {"4g", "lte", "lte-a", "lteca", "4glte", "e-utra", "eutran"},
    Network.G5: {"5g", "nr", "5gnr", "nrsa", "nrnsa", "5gsa", "5gnsa", "endc"},
}
PHASE_WORDS = {
    Phase.BEFORE: {"before", "修复前", "处理前", "前"},
    Phase.AFTER: {"after", "修复后", "处理后", "后"},
}
CALL_WORDS = {
    CallResult.OK: {"ok", "正常", "通话正常", "成功"},
    CallResult.DROPPED: {"dropped", "掉话"},
    CallResult.FAILED: {"failed", "未接通", "失败"},
}


@dataclass
class LineError:
    line: int  # 1 = the header
    column: str
    message: str

    def __str__(self) -> str:
        if self.line == 0:
            return self.message
        if self.column:
            return _("Line %(line)s, column “%(column)s”: %(message)s") % {
                "line": self.line,
                "column": self.column,
                "message": self.message,
            }
        return _("Line %(line)s: %(message)s") % {"line": self.line, "message": self.message}


@dataclass
class Sample:
    line: int
    measured_at: datetime
    place: str
    phase: str
    network: str
    rsrp_dbm: Decimal
    operator: str = ""
    rsrq_db: Decimal | None = None
    sinr_db: Decimal | None = None
    cell_id: str = ""
    pci: int | None = None
    download_mbps: Decimal | None = None
    upload_mbps: Decimal | None = None
    latency_ms: int | None = None
    call_result: str = ""


@dataclass
class ParsedLog:
    format: str = ""
    samples: list[Sample] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    error_count: int = 0
    skipped: int = 0  # app-log lines without a signal reading

    def refuse(self, line: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(LineError(line, column, str(message)))

    @property
    def messages(self) -> list[str]:
        lines = [str(error) for error in self.errors]
        if self.error_count > len(self.errors):
            lines.append(
                _("… and %(count)s more errors.") % {"count": self.error_count - len(self.errors)}
            )
        return lines


class NotALog(ValueError):
    """The file as a whole is not a log we read: one sentence says why."""


def _text(data: bytes) -> str:
    if not data or not data.strip():
        raise NotALog(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise NotALog(
            _("The file is larger than %(mb)s MB; split the log and import it in parts.")
            % {"mb": MAX_BYTES // (1024 * 1024)}
        )
    if b"\x00" in data[:4096]:
        raise NotALog(
            _("This is not a text log (a picture or a binary file?). Export the test as CSV.")
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise NotALog(_("The file is not readable text (UTF-8 or GBK). Export the test as CSV."))


def _dialect(first_line: str) -> str:
    return max(("\t", ",", ";"), key=first_line.count)


def _pick(headers: list[str], names: tuple[str, ...]) -> int | None:
    keys = [_key(h) for h in headers]
    for name in names:
        if _key(name) in keys:
            return keys.index(_key(name))
    return None


def detect(headers: list[str]) -> Format | None:
    keys = {_key(h) for h in headers}
    for fmt in FORMATS:
        if any(_key(mark) in keys for mark in fmt.marks) and all(
            _pick(headers, fmt.columns[name]) is not None for name in fmt.required
        ):
            return fmt
    return None


def _expected() -> str:
    return "; ".join(
        f"{label}: {', '.join(fmt.columns[name][0] for name in fmt.required)}"
        for label, fmt in (
            (_("our template"), OURS),
            ("G-NetTrack", GNETTRACK),
            ("CellMapper", CELLMAPPER),
        )
    )


def _number(raw: str, name: str, scale: int = 1) -> Decimal:
    """`raw` as a number within the field's limits; `scale` divides it (kbit/s to Mbit/s)."""
    try:
        value = Decimal(raw.replace(",", ".") if raw.count(",") == 1 else raw) / scale
    except InvalidOperation:
        raise ValueError(_("“%(value)s” is not a number.") % {"value": raw[:20]}) from None
    if not value.is_finite():
        raise ValueError(_("“%(value)s” is not a number.") % {"value": raw[:20]})
    low, high = LIMITS[name]
    if not low <= value <= high:
        raise ValueError(
            _("%(value)s is outside %(low)s to %(high)s; is it the right column?")
            % {"value": raw[:20], "low": low, "high": high}
        )
    return value


def _time(raw: str) -> datetime:
    value = raw.strip()
    if value.isdigit() and len(value) in (10, 13):  # Unix time, seconds or milliseconds
        seconds = int(value) / (1000 if len(value) == 13 else 1)
        return datetime.fromtimestamp(seconds, tz=timezone.get_current_timezone())
    try:  # ISO 8601 first: our template's, and the quickest to read
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    for pattern in () if moment else TIME_FORMATS:
        try:
            moment = datetime.strptime(value, pattern)
        except ValueError:
            continue
        break
    if moment is None:
        raise ValueError(
            _("“%(value)s” is not a time; write it as 2026-11-29 10:15:00.") % {"value": value[:30]}
        )
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _word(raw: str, words: dict, message) -> str:
    """The code `raw` spells; `message()` says what to write instead (built only when wrong)."""
    key = raw.strip().lower().replace(" ", "")
    for code, spellings in words.items():
        if key in spellings:
            return code
    raise ValueError(message())


def parse(
    data: bytes,
    *,
    phase: str = "",
    place: str = "",
    earliest: datetime | None = None,
    latest: datetime | None = None,
) -> ParsedLog:
    """Read a log. `phase` and `place` apply to the app logs, which have neither; `earliest` and
    `latest` bound the times (on site, not in the future). Raises NotALog for a file that isn't
    a log at all; otherwise the result holds the samples or the errors of its lines."""
    text = _text(data)
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    rows = csv.reader(io.StringIO(text), delimiter=_dialect(first))
    try:
        headers = [h.strip() for h in next(rows)]
    except (StopIteration, csv.Error):
        raise NotALog(_("The file is empty.")) from None
    fmt = detect(headers)
    if fmt is None:
        raise NotALog(
            _(
                "The columns of this file are not those of a test log we read. Expected "
                "(at least) %(expected)s."
            )
            % {"expected": _expected()}
        )
    result = ParsedLog(format=fmt.code)
    index = {name: _pick(headers, names) for name, names in fmt.columns.items()}
    label = {name: headers[i] for name, i in index.items() if i is not None}
    try:
        for line_number, row in enumerate(rows, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(result.samples) >= MAX_SAMPLES:
                raise NotALog(
                    _("The file has more than %(count)s samples; import it in parts.")
                    % {"count": f"{MAX_SAMPLES:,}"}
                )
            _read_row(result, fmt, index, label, row, line_number, phase, place, earliest, latest)
    except csv.Error:
        raise NotALog(_("The file is not a readable CSV or text log.")) from None
    if not result.samples and not result.error_count:
        raise NotALog(_("The file has no samples with a signal reading."))
    return result


def _read_row(result, fmt, index, label, row, line_number, phase, place, earliest, latest):
    cells = {}
    for name, i in index.items():
        if i is not None and i < len(row):
            value = row[i].strip()
            if value and value.lower() not in fmt.blanks:
                cells[name] = value

    def cell(name: str) -> str:
        return cells.get(name, "")

    if fmt.skip_without_signal and not cell("rsrp_dbm"):
        result.skipped += 1
        return
    before = result.error_count
    values = {}

    def refuse(name: str, message: str) -> None:
        result.refuse(line_number, label.get(name, str(COLUMN_LABELS.get(name, name))), message)

    for name in ("rsrp_dbm", "rsrq_db", "sinr_db", "download_mbps", "upload_mbps", "latency_ms"):
        raw = cell(name)
        if not raw:
            if name in fmt.required:
                refuse(name, _("This value is missing."))
            continue
        try:
            scale = 1000 if fmt.kbps and name.endswith("_mbps") else 1  # kbit/s in the file
            number = _number(raw, name, scale)
        except ValueError as exc:
            refuse(name, str(exc))
            continue
        values[name] = int(number) if name == "latency_ms" else number
    raw_pci = cell("pci")
    if raw_pci:
        try:
            values["pci"] = int(_number(raw_pci, "pci"))
        except ValueError as exc:
            refuse("pci", str(exc))
    raw_time = cell("measured_at")
    if not raw_time:
        refuse("measured_at", _("This value is missing."))
    else:
        try:
            moment = _time(raw_time)
        except ValueError as exc:
            refuse("measured_at", str(exc))
        else:
            if latest is not None and moment > latest:
                refuse("measured_at", _("This time is later than now; check the phone's clock."))
            elif earliest is not None and moment < earliest:
                refuse(
                    "measured_at",
                    _(
                        "This test was taken before you arrived at %(time)s; import this "
                        "visit's tests."
                    )
                    % {"time": timezone.localtime(earliest).strftime("%H:%M")},
                )
            values["measured_at"] = moment
    network_raw = cell("network")
    if network_raw or "network" in fmt.required:
        try:
            values["network"] = _word(
                network_raw,
                NETWORK_WORDS,
                lambda: (
                    _("Write 4G or 5G (LTE or NR), not “%(value)s”.") % {"value": network_raw[:20]}
                ),
            )
        except ValueError as exc:
            refuse("network", str(exc))
    else:
        values["network"] = Network.G4
    if fmt is OURS:
        values["place"] = cell("place")[:100]
        if not values["place"]:
            refuse("place", _("Say where in the premises."))
        try:
            values["phase"] = _word(
                cell("phase"), PHASE_WORDS, lambda: _("Write before or after (修复前 or 修复后).")
            )
        except ValueError as exc:
            refuse("phase", str(exc))
        raw_call = cell("call_result")
        if raw_call:
            try:
                values["call_result"] = _word(
                    raw_call,
                    CALL_WORDS,
                    lambda: _("Write ok, dropped or failed, or leave it empty."),
                )
            except ValueError as exc:
                refuse("call_result", str(exc))
    else:
        values["place"], values["phase"] = place, phase
    if result.error_count > before:
        return
    # The cell: its global id when the log has one, else site (eNB/gNB) and cell of the site.
    cell_id = cell("cell_id") or "-".join(p for p in (cell("cell_site"), cell("cell_local")) if p)
    operator = cell("operator") or "".join(p for p in (cell("mcc"), cell("mnc")) if p)
    result.samples.append(
        Sample(line=line_number, operator=operator[:40], cell_id=cell_id[:32], **values)
    )
