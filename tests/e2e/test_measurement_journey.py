"""Journey (issue 18): on a phone at 360 px, the engineer imports the test app's log on the work
step, sees what is wrong in a bad file line by line, sees the before-and-after verdicts, and
finds the outcome and the reply started from them (R24, R26; docs/measurement-logs.md)."""

import re
from datetime import datetime, timedelta
from importlib import import_module
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from dispatch.models import Team
from surveys import services as survey_services
from surveys.models import LinkChannel
from tests.e2e.conftest import DESKTOP, PHONE
from tests.factories import open_ticket
from tests.visits.factories import at_work, book
from visits import services
from visits.models import GradeThresholds, MeasurementSample

pytestmark = pytest.mark.django_db(transaction=True)

DATA = Path(__file__).resolve().parents[1] / "visits" / "data"
TIMES = [
    (re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"), "%Y-%m-%d %H:%M:%S"),
    (re.compile(r"\d{4}\.\d{2}\.\d{2}_\d{2}\.\d{2}\.\d{2}"), "%Y.%m.%d_%H.%M.%S"),
]


def shifted(name: str, folder: Path, last: datetime) -> Path:
    """The sample file with its times moved so that its last test was at `last`: the files are
    written for a fixed afternoon; a browser journey runs now."""
    text = (DATA / name).read_text()
    for pattern, fmt in TIMES:
        found = [datetime.strptime(m, fmt) for m in pattern.findall(text)]
        if found:
            offset = timezone.localtime(last).replace(tzinfo=None) - max(found)
            text = pattern.sub(
                lambda m, fmt=fmt, offset=offset: (
                    datetime.strptime(m.group(0), fmt) + offset
                ).strftime(fmt),
                text,
            )
    path = folder / name
    path.write_text(text)
    return path


def ensure_default_thresholds() -> None:
    """Browser tests flush tables, data migrations included: put the default grading
    thresholds back as migration visits 0010 writes them."""
    from django.apps import apps

    if not GradeThresholds.objects.exists():
        migration = import_module("visits.migrations.0010_measurement_logs_and_grades")
        migration.default_thresholds(apps, None)


def test_engineer_imports_a_test_log_on_the_phone(new_page, dispatcher, engineer, shot, tmp_path):
    # Booked, arrived and at work since 40 minutes ago (the tests in the files come after).
    earlier = timezone.now() - timedelta(minutes=40)
    with time_machine.travel(earlier, tick=False):
        visit = book(dispatcher, open_ticket(dispatcher), engineer, earlier + timedelta(minutes=6))
        visit = at_work(visit)
    page = new_page(engineer, PHONE)
    page.goto(f"/visits/{visit.pk}/")

    # A file with wrong lines: every line's problem at once, nothing imported.
    page.get_by_text("导入测试记录").click()
    form = page.locator("#import-log")
    form.get_by_label("测试记录文件").set_input_files(str(DATA / "seed_template_bad.csv"))
    page.get_by_role("button", name="导入记录").click()
    errors = page.locator("#import-log .errorlist")
    errors.first.wait_for()
    text = errors.first.inner_text()
    assert "第 3 行" in text and "第 4 行" in text and "没有导入" in text
    assert not MeasurementSample.objects.exists()
    assert page.evaluate("document.documentElement.scrollWidth") <= 361
    shot(page, "01-bad-file-line-by-line")

    # G-NetTrack's log of the test before the fix, taken in the living room a minute ago.
    before = shifted("gnettrack_before.txt", tmp_path, timezone.now() - timedelta(minutes=3))
    form.get_by_label("测试记录文件").set_input_files(str(before))
    form.get_by_label("处理前").check()
    form.get_by_label("测试位置").fill("客厅")
    page.get_by_role("button", name="导入记录").click()
    page.get_by_text("已从 gnettrack_before.txt 导入 6 条样本。").wait_for()
    assert "弱覆盖" in page.locator("table.verdicts").inner_text()

    # Our template, after the fix (it says place and phase per line).
    after = shifted("seed_template.csv", tmp_path, timezone.now() - timedelta(minutes=1))
    page.get_by_text("导入测试记录").click()
    form.get_by_label("测试记录文件").set_input_files(str(after))
    page.get_by_role("button", name="导入记录").click()
    page.get_by_text("已从 seed_template.csv 导入 8 条样本。").wait_for()
    table = page.locator("table.verdicts").inner_text()
    assert "良好" in table and "干扰" in table
    assert page.evaluate("document.documentElement.scrollWidth") <= 361
    shot(page, "02-before-and-after")

    # Words from numbers: the outcome starts from the verdicts; the engineer edits it.
    summary = page.get_by_label("发现的问题和处理情况")
    assert "测试结果：" in summary.input_value() and "弱覆盖" in summary.input_value()
    page.locator("#outcome").scroll_into_view_if_needed()
    shot(page, "03-outcome-prefilled")

    # The result, then the survey on the customer's own phone shows the summary they sign.
    page.get_by_label("现场已解决").check()
    page.get_by_role("button", name="提交测试结果").click()
    page.get_by_text("已提交测试结果。").wait_for()
    issued = survey_services.issue_link(
        actor=engineer, visit=visit, channel=LinkChannel.SMS, base_url="https://x.example.cn/"
    )
    customer = new_page(None, PHONE)
    customer.goto(f"/survey/s/{issued.token}/")
    results = customer.locator(".survey-verdicts")
    results.wait_for()
    assert "弱覆盖" in results.inner_text() and "良好" in results.inner_text()
    assert customer.evaluate("document.documentElement.scrollWidth") <= 361
    shot(customer, "04-survey-summary")


def test_supervisor_sees_hot_cells_and_moves_a_threshold(
    new_page, dispatcher, engineer, supervisor, shot, tmp_path
):
    ensure_default_thresholds()
    earlier = timezone.now() - timedelta(minutes=40)
    with time_machine.travel(earlier, tick=False):
        visit = book(dispatcher, open_ticket(dispatcher), engineer, earlier + timedelta(minutes=6))
        visit = at_work(visit)
    log = shifted("gnettrack_before.txt", tmp_path, timezone.now() - timedelta(minutes=3))
    services.import_measurement_log(
        actor=engineer,
        visit=visit,
        file_name=log.name,
        data=log.read_bytes(),
        phase="before",
        place="客厅",
    )
    Team.objects.create(name="天河一组", supervisor=supervisor).members.set([engineer])

    page = new_page(supervisor, DESKTOP)
    page.goto("/supervisor/")
    page.get_by_role("link", name="网络测试：各班组处理后复测比例、热点小区").click()
    page.get_by_role("heading", name="热点小区：现场测试发现的弱覆盖").wait_for()
    assert "460-11-123456-1" in page.locator("table").nth(1).inner_text()
    shot(page, "01-network-tests-desktop")

    page.get_by_role("link", name="评级门限").click()
    card = page.locator("section", has_text="4G · 所有运营商")
    card.get_by_label("RSRP 差的界线（低于，dBm）").fill("-130")
    card.get_by_role("button", name="保存").click()
    page.get_by_text("门限已保存，新的评级按此计算。").wait_for()
    shot(page, "02-thresholds-saved")

    phone = new_page(supervisor, PHONE)
    phone.goto("/supervisor/network-tests/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 361
    shot(phone, "03-network-tests-phone")
