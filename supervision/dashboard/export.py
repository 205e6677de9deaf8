"""CSV and XLSX export of the dashboard's tables.

Every cell goes through `_cell`: lazy translations become text (openpyxl can't write them), and
text a spreadsheet would run as a formula stays text (issue 11; OWASP "CSV injection"): a cell
that starts with = + - @, a tab or a carriage return gets the leading apostrophe spreadsheets
read as "this is text" in CSV, and is written as a text cell with that same mark in XLSX, so the
supervisor still reads what the customer gave.
"""

import csv
import io

from django.http import HttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from openpyxl import Workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if isinstance(value, Promise):
        return str(value)
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        return timezone.localtime(value).replace(tzinfo=None)
    return "" if value is None else value


def _is_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def _csv_cell(value):
    value = _cell(value)
    return "'" + value if _is_formula(value) else value


def _xlsx_row(sheet, values: list) -> None:
    sheet.append([_cell(v) for v in values])
    for cell in sheet[sheet.max_row]:
        if _is_formula(cell.value):
            cell.data_type = "s"  # openpyxl took it for a formula
            cell.quotePrefix = True


def export(name: str, headers: list[str], rows: list[list], fmt: str) -> HttpResponse:
    stamp = timezone.localdate().isoformat()
    if fmt == "xlsx":
        book = Workbook()
        sheet = book.active
        sheet.title = name[:31]
        for row in [headers, *rows]:
            _xlsx_row(sheet, row)
        buffer = io.BytesIO()
        book.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX)
        filename = f"{name}-{stamp}.xlsx"
    else:
        buffer = io.StringIO()
        buffer.write("\ufeff")  # a BOM so spreadsheet programs read the Chinese correctly
        writer = csv.writer(buffer)
        for row in [headers, *rows]:
            writer.writerow([_csv_cell(v) for v in row])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        filename = f"{name}-{stamp}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
