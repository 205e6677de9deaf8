"""Issue 18, measurements that speak: the engineer imports a phone app's test log on the work
step (our CSV template, CellMapper, G-NetTrack), the tests are graded per place and phase, the
customer signs the before-and-after summary (R23/R24, docs/rules.md), the verdict starts the
outcome and the reply (R26, R27 still checked), and the supervisor sees the after-fix share and
the hot cells.

The sample files in tests/visits/data/ are written for the visit of tests/visits/conftest.py
(2026-11-23, 14:00–15:00)."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from dispatch.errors import PermissionDenied, RuleViolation
from dispatch.models import Event, Team
from surveys import services as survey_services
from surveys.models import LinkChannel
from tests.surveys.factories import GOOD_ANSWERS, strokes
from tests.visits.conftest import at
from tests.visits.factories import arrived, at_work, measured
from visits import grading, measurement_logs, services, verdicts
from visits.grading import Thresholds, Verdict
from visits.models import GradeThresholds, MeasurementImport, MeasurementSample, VisitStatus

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


def import_file(visit, name, **kw):
    return services.import_measurement_log(
        actor=visit.engineer, visit=visit, file_name=name, data=data(name), **kw
    )


@pytest.fixture
def on_site(clock, visit):
    """The engineer at work since 09:00; the clock at 14:45, after the tests in the files."""
    visit = at_work(visit)
    clock.move_to(at(14, 45))
    return visit


# Reading the files ------------------------------------------------------------------------


class TestReadingLogs:
    def test_our_template_says_place_and_phase_per_line(self):
        log = measurement_logs.parse(data("seed_template.csv"))
        assert log.format == "seed" and not log.error_count
        first = log.samples[0]
        assert (first.place, first.phase, first.network) == ("客厅", "before", "4g")
        assert first.rsrp_dbm == Decimal("-112.5") and first.call_result == "dropped"
        # zh-Hans words for the phase, LTE/5G for the network, 正常 for the call.
        last = log.samples[-1]
        assert (last.phase, last.network, last.call_result) == ("after", "5g", "ok")

    def test_g_nettrack_log_in_kbits_with_a_second_without_signal(self):
        log = measurement_logs.parse(data("gnettrack_before.txt"), phase="before", place="客厅")
        assert log.format == "gnettrack" and len(log.samples) == 6
        assert log.skipped == 1  # the "-" line is no test, not an error
        sample = log.samples[0]
        assert sample.download_mbps == Decimal("3.1")  # DL_bitrate 3100 kbit/s
        assert sample.latency_ms == 88 and sample.operator == "China Telecom"
        assert sample.cell_id == "460-11-123456-1" and sample.pci == 301
        assert (sample.place, sample.phase) == ("客厅", "before")

    def test_cellmapper_export_joins_site_and_cell(self):
        log = measurement_logs.parse(data("cellmapper_after.csv"), phase="after", place="客厅")
        assert log.format == "cellmapper" and len(log.samples) == 4
        assert log.samples[0].cell_id == "123456-2" and log.samples[0].operator == "46011"
        assert log.samples[-1].network == "5g"

    def test_every_wrong_line_is_said_at_once_with_its_column(self):
        log = measurement_logs.parse(data("seed_template_bad.csv"))
        assert log.error_count == 7
        text = "\n".join(log.messages)
        assert "第 3 行" in text and "“network”" in text and "3G" in text
        assert "第 4 行" in text and "yesterday" in text and "abc" in text

    def test_the_error_list_is_capped(self):
        rows = "\n".join(f"2026-11-23 14:01:00,客厅,before,4G,abc{i}" for i in range(50))
        log = measurement_logs.parse(f"time,place,phase,network,rsrp_dbm\n{rows}\n".encode())
        assert log.error_count == 50
        assert len(log.messages) == measurement_logs.MAX_ERRORS + 1
        assert "还有 30 处错误" in log.messages[-1]

    @pytest.mark.parametrize(
        "content, says",
        [
            (b"", "文件是空的"),
            (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "不是文本格式的测试记录"),
            ("姓名,电话\n张三,138\n".encode(), "列不是"),
            (b"x" * (measurement_logs.MAX_BYTES + 1), "大于 5 MB"),
            ("time,place,phase,network,rsrp_dbm\n".encode("gb18030"), "没有"),
        ],
    )
    def test_a_file_that_is_not_a_log_gets_a_sentence(self, content, says):
        with pytest.raises(measurement_logs.NotALog) as exc:
            measurement_logs.parse(content)
        assert says in str(exc.value)


# Grading: a pure function over tables of values -----------------------------------------

LTE = grading.DEFAULTS["4g"]


def sample(rsrp, sinr=None, download=None, latency=None, place="客厅", phase="before"):
    return {
        "place": place,
        "phase": phase,
        "network": "4g",
        "rsrp_dbm": Decimal(str(rsrp)),
        "sinr_db": None if sinr is None else Decimal(str(sinr)),
        "download_mbps": None if download is None else Decimal(str(download)),
        "latency_ms": latency,
    }


@pytest.mark.parametrize(
    "rsrp, sinr, download, latency, verdict",
    [
        (-80, 20, 50, 30, Verdict.GOOD),
        (-104.9, 5, 20, 60, Verdict.GOOD),  # fair signal, not poor
        (-105.1, 20, 50, 30, Verdict.WEAK_COVERAGE),
        (-115, -5, 1, 300, Verdict.WEAK_COVERAGE),  # coverage first
        (-95, -0.5, 50, 30, Verdict.INTERFERENCE),
        (-95, 0, 50, 30, Verdict.GOOD),  # at the poor line is not below it
        (-90, 10, 9.99, 30, Verdict.CAPACITY),
        (-90, 10, 50, 101, Verdict.CAPACITY),
        (-90, None, None, None, Verdict.GOOD),  # a signal reading alone
    ],
)
def test_the_verdict_of_one_place(rsrp, sinr, download, latency, verdict):
    (graded,) = grading.grade([sample(rsrp, sinr, download, latency)])
    assert graded.verdict == verdict


def test_verdicts_read_medians_per_place_and_phase_and_say_the_figures():
    samples = [
        *(sample(r, 2) for r in (-110, -112, -80)),  # one good second among weak ones
        *(sample(r, 15, 60, 20, phase="after") for r in (-84, -86)),
        sample(-95, -3, place="卧室"),
    ]
    before, after, bedroom = grading.grade(samples)
    assert (before.place, before.phase, before.verdict) == ("客厅", "before", "weak_coverage")
    assert before.rsrp_dbm == Decimal("-110.0") and before.samples == 3
    assert before.good_share == 33 and before.poor_share == 67
    assert (after.phase, after.verdict, after.rsrp_dbm) == ("after", "good", Decimal("-85.0"))
    assert (bedroom.place, bedroom.verdict) == ("卧室", "interference")


def test_thresholds_move_the_verdict():
    strict = Thresholds(Decimal("-80"), Decimal("-90"), Decimal("13"), Decimal("0"), 10, 100)
    assert grading.grade([sample(-95)])[0].verdict == Verdict.GOOD
    assert grading.grade([sample(-95)], {"4g": strict})[0].verdict == Verdict.WEAK_COVERAGE


# The import service and its paths ---------------------------------------------------------


class TestImport:
    def test_an_import_stores_the_samples_and_records_the_event(self, on_site):
        upload = import_file(on_site, "seed_template.csv")
        assert upload.sample_count == 8 and upload.file_format == "seed"
        assert MeasurementSample.objects.filter(visit=on_site).count() == 8
        event = Event.objects.get(visit=on_site, kind="visit.log_imported")
        assert event.after["samples"] == 8 and event.message == "seed_template.csv"

    def test_app_logs_need_the_place_and_phase_on_the_form(self, on_site):
        with pytest.raises(RuleViolation) as exc:
            import_file(on_site, "gnettrack_before.txt", place="客厅")
        assert exc.value.field == "phase"
        with pytest.raises(RuleViolation) as exc:
            import_file(on_site, "gnettrack_before.txt", phase="before")
        assert exc.value.field == "place"
        assert not MeasurementImport.objects.exists()

    def test_a_wrong_file_imports_nothing(self, on_site):
        with pytest.raises(services.LogRejected) as exc:
            import_file(on_site, "seed_template_bad.csv")
        assert "7 行有错误" in exc.value.message and len(exc.value.lines) == 7
        assert not MeasurementSample.objects.exists()

    def test_the_same_file_twice_is_refused(self, on_site):
        import_file(on_site, "seed_template.csv")
        with pytest.raises(RuleViolation) as exc:
            import_file(on_site, "seed_template.csv")
        assert exc.value.code == "already_imported" and exc.value.status == 409

    def test_tests_from_the_future_or_before_the_arrival_are_refused(self, clock, visit):
        visit = at_work(visit)  # arrived at 09:00
        clock.move_to(at(14, 2))  # the file's later lines are still to come
        with pytest.raises(services.LogRejected) as exc:
            import_file(visit, "seed_template.csv")
        assert "晚于现在" in "\n".join(exc.value.lines)
        clock.move_to(at(14, 45))
        header = (DATA / "seed_template.csv").read_text().splitlines()[0]
        early = f"{header}\n2026-11-23 08:30:00,客厅,before,4G,-100\n".encode()
        with pytest.raises(services.LogRejected) as exc:
            services.import_measurement_log(
                actor=visit.engineer, visit=visit, file_name="early.csv", data=early
            )
        assert "到达" in exc.value.lines[0]

    def test_only_the_visits_engineer_while_on_site(self, clock, visit, engineer2, supervisor):
        visit = arrived(visit)
        with pytest.raises(RuleViolation) as exc:
            import_file(visit, "seed_template.csv")
        assert exc.value.code == "not_at_work"
        for actor in (engineer2, supervisor):
            with pytest.raises(PermissionDenied):
                services.import_measurement_log(
                    actor=actor, visit=visit, file_name="x.csv", data=data("seed_template.csv")
                )

    def test_r24_imported_after_fix_tests_allow_resolved_and_r15_counts_them(self, on_site):
        import_file(on_site, "gnettrack_before.txt", phase="before", place="客厅")
        import_file(on_site, "cellmapper_after.csv", phase="after", place="客厅")
        # R15: the test ended with the last imported sample (14:35:15).
        assert services.reply_latest(on_site) == at(18, 35, 15)
        services.record_outcome(
            actor=on_site.engineer, visit=on_site, resolved=True, summary="调整天线"
        )
        on_site.refresh_from_db()
        assert on_site.status == VisitStatus.RESOLVED


class TestPaths:
    def test_page_import_from_the_phone(self, on_site, login):
        client = login(on_site.engineer)
        url = reverse("visits:import_log", args=[on_site.pk])
        upload = SimpleUploadedFile("g.txt", data("gnettrack_before.txt"), "text/plain")
        response = client.post(
            url, {"log-file": upload, "log-phase": "before", "log-place": "客厅"}
        )
        assert response.status_code == 302
        page = client.get(reverse("visits:detail", args=[on_site.pk])).content.decode()
        assert "处理前" in page and "弱覆盖" in page and "g.txt" in page

    def test_page_shows_every_wrong_line_next_to_the_file(self, on_site, login):
        client = login(on_site.engineer)
        url = reverse("visits:import_log", args=[on_site.pk])
        upload = SimpleUploadedFile("bad.csv", data("seed_template_bad.csv"), "text/csv")
        response = client.post(url, {"log-file": upload})
        page = response.content.decode()
        assert response.status_code == 400
        assert "第 3 行" in page and "第 4 行" in page and "没有导入" in page

    def test_page_binary_file_is_a_sentence_not_a_500(self, on_site, login):
        client = login(on_site.engineer)
        url = reverse("visits:import_log", args=[on_site.pk])
        upload = SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg")
        response = client.post(
            url, {"log-file": upload, "log-phase": "before", "log-place": "客厅"}
        )
        assert response.status_code == 400
        assert "不是文本格式的测试记录" in response.content.decode()

    def test_the_desk_sees_before_and_after(self, on_site, login, dispatcher):
        import_file(on_site, "seed_template.csv")
        page = login(dispatcher).get(reverse("visits:detail", args=[on_site.pk])).content.decode()
        assert "处理前后对比" in page and "弱覆盖" in page and "seed_template.csv" in page

    def test_page_another_engineers_visit_is_404(self, on_site, login, engineer2):
        client = login(engineer2)
        upload = SimpleUploadedFile("t.csv", data("seed_template.csv"), "text/csv")
        response = client.post(
            reverse("visits:import_log", args=[on_site.pk]), {"log-file": upload}
        )
        assert response.status_code == 404

    def test_api_import_and_verdicts(self, on_site, api):
        api.force_authenticate(on_site.engineer)
        url = f"/api/visits/{on_site.pk}/measurement-logs/"
        upload = SimpleUploadedFile("t.csv", data("seed_template.csv"), "text/csv")
        response = api.post(url, {"file": upload}, format="multipart")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["imports"][0]["sample_count"] == 8
        first = body["verdicts"][0]
        assert (first["place"], first["phase"], first["verdict"]) == (
            "客厅",
            "before",
            "weak_coverage",
        )
        assert api.get(url).json() == body

    def test_api_wrong_lines_answer_400_with_each_line(self, on_site, api):
        api.force_authenticate(on_site.engineer)
        upload = SimpleUploadedFile("bad.csv", data("seed_template_bad.csv"), "text/csv")
        response = api.post(
            f"/api/visits/{on_site.pk}/measurement-logs/", {"file": upload}, format="multipart"
        )
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "log_invalid" and len(body["errors"]["file"]) == 7

    def test_api_no_file_is_400(self, on_site, api):
        api.force_authenticate(on_site.engineer)
        response = api.post(f"/api/visits/{on_site.pk}/measurement-logs/", {}, format="json")
        assert response.status_code == 400 and response.json()["field"] == "file"


# Before and after in what the customer signs (R23/R24) ----------------------------------


def _sign(visit):
    from django.contrib.auth.models import AnonymousUser

    issued = survey_services.issue_link(
        actor=visit.engineer,
        visit=visit,
        channel=LinkChannel.SMS,
        base_url="https://dispatch.example.cn/",
    )
    return survey_services.sign_survey(
        actor=AnonymousUser(),
        token=issued.token,
        answers=dict(GOOD_ANSWERS),
        work_order_confirmed=True,
        strokes=strokes(),
    )


class TestSignedSummary:
    @pytest.fixture
    def signed(self, on_site):
        import_file(on_site, "seed_template.csv")
        services.record_outcome(
            actor=on_site.engineer, visit=on_site, resolved=True, summary="调整天线"
        )
        return _sign(on_site)

    def test_the_customer_signs_the_before_and_after_summary(self, signed, on_site, client):
        kinds = [entry.get("kind", "typed") for entry in signed.measurements]
        assert kinds == ["import"] + ["verdict"] * 4
        verdict = signed.measurements[1]
        assert verdict["place"] == "客厅" and verdict["verdict"] == "weak_coverage"
        assert signed.verify() is True

    def test_the_survey_page_shows_the_summary(self, on_site, client):
        import_file(on_site, "seed_template.csv")
        services.record_outcome(
            actor=on_site.engineer, visit=on_site, resolved=True, summary="调整天线"
        )
        issued = survey_services.issue_link(
            actor=on_site.engineer,
            visit=on_site,
            channel=LinkChannel.SMS,
            base_url="https://dispatch.example.cn/",
        )
        page = client.get(reverse("surveys:customer", args=[issued.token])).content.decode()
        assert "处理前后的测试结果" in page and "弱覆盖" in page and "干扰" in page

    def test_tampering_with_an_imported_sample_shows(self, signed):
        sample = MeasurementSample.objects.filter(phase="before").first()
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE visits_measurementsample SET rsrp_dbm = -70 WHERE id = %s", [sample.pk]
            )
        assert signed.verify() is False
        assert any("测试结果被修改" in p for p in signed.integrity_problems())

    def test_deleting_an_imported_sample_shows(self, signed):
        MeasurementSample.objects.filter(phase="after").first().delete()
        assert signed.verify() is False

    def test_moving_the_thresholds_after_signing_is_not_tampering(self, signed, supervisor):
        row = GradeThresholds.objects.get(operator="", network="4g")
        services.update_thresholds(actor=supervisor, thresholds=row, rsrp_poor="-120")
        assert signed.verify() is True


# Words from numbers (R26; R27 still applies) ---------------------------------------------


class TestWordsFromNumbers:
    def test_the_verdict_prefills_the_outcome(self, on_site, login):
        import_file(on_site, "seed_template.csv")
        page = login(on_site.engineer).get(reverse("visits:detail", args=[on_site.pk]))
        text = page.content.decode()
        assert "测试结果：" in text and "客厅，处理前：弱覆盖（RSRP -112.5 dBm，SINR" in text

    def test_the_reply_says_what_is_left_in_the_standard_phrasing(self):
        graded = grading.grade([sample(-112, phase="after"), sample(-95, -3, place="卧室")])
        with_problem = verdicts.suggested_reply(graded)
        assert "客厅信号弱" in with_problem and "约定的时间" in with_problem
        good = verdicts.suggested_reply(grading.grade([sample(-85, 15, phase="after")]))
        assert "10000" in good

    def test_r27_the_edited_reply_is_still_checked(self, on_site):
        import_file(on_site, "gnettrack_before.txt", phase="before", place="客厅")
        services.record_outcome(
            actor=on_site.engineer,
            visit=on_site,
            resolved=False,
            summary="弱覆盖",
            promised_reply_at=at(16, 0),
        )
        reply = verdicts.suggested_reply(verdicts.visit_verdicts(on_site.pk))
        with pytest.raises(RuleViolation) as exc:
            services.record_reply(
                actor=on_site.engineer,
                visit=on_site,
                message=reply + "这是我们公司的规定。",
                by_sms=True,
            )
        assert exc.value.code == "banned_phrase"
        services.record_reply(actor=on_site.engineer, visit=on_site, message=reply, by_sms=True)


# The supervisor: thresholds, after-fix share, hot cells ----------------------------------


class TestSupervisor:
    def test_thresholds_are_the_supervisors_through_the_service(self, supervisor, engineer):
        row = GradeThresholds.objects.get(operator="", network="4g")
        with pytest.raises(PermissionDenied):
            services.update_thresholds(actor=engineer, thresholds=row, rsrp_poor="-110")
        with pytest.raises(RuleViolation) as exc:
            services.update_thresholds(actor=supervisor, thresholds=row, rsrp_good="-120")
        assert exc.value.code == "good_below_poor"
        services.update_thresholds(actor=supervisor, thresholds=row, rsrp_poor="-110")
        assert verdicts.thresholds_for("")["4g"].rsrp_poor == Decimal("-110")

    def test_an_operators_own_thresholds_win(self, supervisor):
        GradeThresholds.objects.create(
            operator="China Telecom",
            network="4g",
            rsrp_good=-90,
            rsrp_poor=-100,
            sinr_good=10,
            sinr_poor=0,
            download_min_mbps=5,
            latency_max_ms=150,
        )
        assert verdicts.thresholds_for("China Telecom")["4g"].rsrp_poor == Decimal("-100")
        assert verdicts.thresholds_for("other")["4g"].rsrp_poor == Decimal("-105")

    def test_a_supervisor_adds_an_operators_thresholds(self, login, supervisor, engineer):
        with pytest.raises(PermissionDenied):
            services.add_thresholds(actor=engineer, operator="China Telecom", network="5g")
        row = services.add_thresholds(actor=supervisor, operator="China Telecom", network="5g")
        assert row.rsrp_poor == Decimal("-110") and row.updated_by == supervisor
        with pytest.raises(RuleViolation) as exc:
            services.add_thresholds(actor=supervisor, operator="China Telecom", network="5g")
        assert exc.value.status == 409
        client = login(supervisor)
        url = reverse("visits:add_thresholds")
        again = client.post(url, {"add-operator": "China Telecom", "add-network": "5g"})
        assert again.status_code == 400 and "已经存在" in again.content.decode()
        added = client.post(url, {"add-operator": "China Mobile", "add-network": "4g"})
        assert added.status_code == 302
        assert GradeThresholds.objects.filter(operator="China Mobile", network="4g").exists()

    def test_thresholds_page_shows_errors_next_to_the_field(self, login, supervisor):
        row = GradeThresholds.objects.get(operator="", network="4g")
        client = login(supervisor)
        assert client.get(reverse("visits:thresholds")).status_code == 200
        response = client.post(
            reverse("visits:update_thresholds", args=[row.pk]),
            {f"t{row.pk}-{name}": value for name, value in {
                "rsrp_good": "-110", "rsrp_poor": "-105", "sinr_good": "13", "sinr_poor": "0",
                "download_min_mbps": "10", "latency_max_ms": "100",
            }.items()},
        )  # fmt: skip
        assert response.status_code == 400
        assert "必须高于" in response.content.decode()

    def test_after_fix_share_and_hot_cells(self, on_site, login, supervisor):
        team = Team.objects.create(name="天河一组", supervisor=supervisor)
        team.members.set([on_site.engineer])
        import_file(on_site, "gnettrack_before.txt", phase="before", place="客厅")
        import_file(on_site, "cellmapper_after.csv", phase="after", place="客厅")
        services.record_outcome(
            actor=on_site.engineer, visit=on_site, resolved=True, summary="调整天线"
        )
        client = login(supervisor)
        page = client.get(reverse("supervision:network_tests")).content.decode()
        assert "天河一组" in page and "100%" in page
        assert "460-11-123456-1" in page  # the weak cell
        csv = client.get(reverse("supervision:network_tests") + "?export=csv&table=cells")
        assert csv["Content-Type"].startswith("text/csv")
        assert "460-11-123456-1" in csv.content.decode("utf-8-sig")
        xlsx = client.get(reverse("supervision:network_tests") + "?export=xlsx&table=teams")
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"

    def test_the_export_neutralises_formulas(self, on_site, login, supervisor):
        rows = "2026-11-23 14:01:00,=HYPERLINK(1),before,4G,-115,,,=cmd|x,,,,,\n"
        header = (DATA / "seed_template.csv").read_text().splitlines()[0]
        services.import_measurement_log(
            actor=on_site.engineer,
            visit=on_site,
            file_name="f.csv",
            data=f"{header}\n{rows}".encode(),
        )
        csv = login(supervisor).get(
            reverse("supervision:network_tests") + "?export=csv&table=cells"
        )
        assert "'=cmd|x" in csv.content.decode("utf-8-sig")
        assert "'=HYPERLINK(1)" in csv.content.decode("utf-8-sig")

    def test_the_dashboard_links_the_page(self, login, supervisor):
        page = login(supervisor).get("/supervisor/").content.decode()
        assert reverse("supervision:network_tests") in page

    def test_engineers_do_not_see_the_report(self, login, engineer):
        assert login(engineer).get(reverse("supervision:network_tests")).status_code == 403


def test_typed_tests_are_graded_with_imported_ones(on_site):
    measured(on_site, phase="after", rsrp_dbm="-84", sinr_db="18", download_mbps="60")
    graded = verdicts.visit_verdicts(on_site.pk)
    assert [(v.phase, v.verdict) for v in graded] == [("after", "good")]
