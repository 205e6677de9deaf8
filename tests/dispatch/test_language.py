"""R27: banned phrases (服务禁语) as data, found in free text, and shown to the writer before
the text reaches the customer."""

import pytest
from django import forms

from dispatch.forms import BannedPhraseCheck, ContactForm
from dispatch.language import find_banned_phrases
from dispatch.models import BannedPhrase

pytestmark = pytest.mark.django_db


def phrases(text):
    return [p.phrase for p in find_banned_phrases(text)]


class TestPhraseList:
    @pytest.mark.parametrize(
        ("text", "seed"),
        [
            ("这是我们公司的规定。", "000 §3.3"),
            ("信不信由你", "000 §3.3"),
            ("我不能", "000 §1.4.13"),
            ("你要知道，一分钱一分货。", "004 §8.5"),
            ("嗯，我不太清楚。", "004 §8.5"),
            ("改天再通知你", "004 §8.5"),
        ],
    )
    def test_r27_the_seeds_examples_are_found(self, text, seed):
        (found,) = find_banned_phrases(text)
        assert found.source.startswith(seed)

    def test_r27_both_seed_lists_are_loaded(self):
        sources = BannedPhrase.objects.values_list("source", flat=True)
        assert sum(s.startswith("000 §3.3") for s in sources) == 14
        assert sum(s.startswith("004 §8.5") for s in sources) >= 10

    def test_polite_standard_phrasing_is_clean(self):
        # R26: the standard scripts of seed 000 §3.3-3.4 trip nothing.
        assert (
            phrases(
                "您好！我是中国电信客服工程师，您反映的问题我们需要到现场测试，请问您什么时间方便？"
            )
            == []
        )
        assert (
            phrases(
                "非常抱歉，由于台风原因，现在无法为您上门服务，明天上午9点我上门为您服务可以吗？"
            )
            == []
        )

    def test_spaces_punctuation_and_width_are_ignored(self):
        assert phrases("这是 我们公司 的规定！！") == ["这是我们公司的规定"]
        assert phrases("信，不，信，由，你") == ["信不信由你"]
        assert phrases("你到底想怎么样？") == ["你到底想怎么样"]

    def test_found_in_order_of_appearance(self):
        text = "信不信由你，反正这是我们公司的规定，我已经解释很多次了。"
        assert phrases(text) == ["信不信由你", "这是我们公司的规定", "我已经解释很多次了"]

    def test_the_list_is_data_the_centre_edits(self):
        BannedPhrase.objects.filter(phrase="信不信由你").update(active=False)
        BannedPhrase.objects.create(phrase="没办法", source="centre")
        assert phrases("信不信由你，没办法。") == ["没办法"]

    def test_empty_text(self):
        assert phrases("") == []
        assert phrases(None) == []


class MessageForm(BannedPhraseCheck, forms.Form):
    """A form that sends free text to a customer, as the visits app would write one."""

    banned_phrase_fields = ("message",)
    message = forms.CharField()


class TestFormWarning:
    def test_r27_the_send_anyway_box_appears_with_the_phrases(self):
        # The service refuses the text (tests/visits/test_late_changes.py); the form offers
        # the confirmation box and hands the answer on.
        first = MessageForm({"message": "这是我们公司的规定，改天再联系你。"})
        assert first.is_valid()
        assert not first.wording_confirmed()
        assert "send_anyway" in first.fields  # the box appears only now

        confirmed = MessageForm(
            {"message": "这是我们公司的规定，改天再联系你。", "send_anyway": "on"}
        )
        assert confirmed.is_valid()
        assert confirmed.wording_confirmed()
        assert [p.phrase for p in confirmed.banned_phrases()["message"]] == [
            "这是我们公司的规定",
            "改天再联系",
        ]

    def test_clean_text_needs_no_confirmation(self):
        form = MessageForm({"message": "您好，工程师将于明天上午9点上门测试。"})
        assert form.is_valid()
        assert "send_anyway" not in form.fields

    def test_checked_field_asks_for_the_live_warning(self):
        attrs = MessageForm().fields["message"].widget.attrs
        assert attrs["hx-post"] == "/language/check/"
        assert attrs["hx-params"] == "message"
        assert attrs["hx-target"] == "#id_message_banned"

    def test_contact_record_warns_but_is_never_refused(self):
        form = ContactForm({"channel": "phone", "progress": "跟客户说了这是我们公司的规定"})
        assert form.is_valid()
        assert form.fields["progress"].widget.attrs["hx-post"] == "/language/check/"


class TestLiveCheck:
    def test_returns_the_warning_fragment(self, login, dispatcher):
        client = login(dispatcher)
        response = client.post("/language/check/", {"progress": "信不信由你"})
        assert response.status_code == 200
        html = response.content.decode()
        assert 'role="alert"' in html and "“信不信由你”" in html

    def test_clean_text_returns_nothing(self, login, dispatcher):
        response = login(dispatcher).post(
            "/language/check/", {"progress": "您好，请问您什么时间方便？"}
        )
        assert response.content.decode().strip() == ""

    def test_suggestion_is_shown(self, login, dispatcher):
        html = login(dispatcher).post("/language/check/", {"t": "你别激动"}).content.decode()
        assert "请您慢慢说，我在听。" in html

    def test_needs_login(self, client):
        assert client.post("/language/check/", {"t": "信不信由你"}).status_code == 302

    def test_the_ticket_page_holds_the_warning_slot(self, login, dispatcher, ticket):
        html = login(dispatcher).get(f"/tickets/{ticket.number}/").content.decode()
        assert 'id="id_progress_banned"' in html
        assert 'hx-post="/language/check/"' in html


class TestSensitiveTopics:
    """R28: tariff and price questions are referred to the account manager."""

    def test_r28_tariff_words_are_found(self):
        from dispatch.language import find_sensitive_topics

        assert find_sensitive_topics("您的套餐资费是每月 58 元") == ["资费", "套餐"]
        assert find_sensitive_topics("基站参数已优化，请您试用。") == []

    def test_r28_the_live_check_tells_the_engineer_to_refer_it(self, login, engineer):
        response = login(engineer).post("/language/check/", {"message": "这个套餐的价格是……"})
        html = response.content.decode()
        assert "客户经理" in html and "R28" not in html

    def test_r28_the_engineers_reply_form_is_checked_live(self):
        from visits.forms import ReplyForm

        widget = ReplyForm()["message"].field.widget
        assert widget.attrs["hx-post"] == "/language/check/"
