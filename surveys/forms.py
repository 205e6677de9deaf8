"""Forms of the survey pages. They only collect input: surveys.services decides."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from dispatch.dates import DayField
from dispatch.forms import OneTimeCodeForm, UserChoiceField
from dispatch.people import display_name
from dispatch.roles import Role
from dispatch.rules import faq_handbook_allowed

from .models import CardItem, Question, QuestionKind

User = get_user_model()

RATING_CHOICES = [
    ("1", _("1 – very dissatisfied")),
    ("2", _("2 – dissatisfied")),
    ("3", _("3 – neutral")),
    ("4", _("4 – satisfied")),
    ("5", _("5 – very satisfied")),
]
YES_NO_CHOICES = [("yes", _("Yes")), ("no", _("No"))]


def field_name(question: Question) -> str:
    return f"q_{question.code}"


class SurveyForm(forms.Form):
    """The customer's page: the survey items (data), the work-order confirmation, the signature."""

    confirm = forms.BooleanField(
        label=_("I have read the work order above and confirm it."), required=False
    )
    signature = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, questions: list[Question], **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        fields = {}
        for q in questions:
            if q.kind == QuestionKind.RATING:
                field = forms.ChoiceField(
                    label=q.label, choices=RATING_CHOICES, widget=forms.RadioSelect, required=False
                )
            elif q.kind == QuestionKind.YES_NO:
                field = forms.ChoiceField(
                    label=q.label, choices=YES_NO_CHOICES, widget=forms.RadioSelect, required=False
                )
            else:
                field = forms.CharField(
                    label=q.label,
                    widget=forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
                    required=False,
                )
            field.question = q
            fields[field_name(q)] = field
        # Items first, then the confirmation and the signature.
        self.fields = {**fields, **self.fields}
        # Each unanswered item's error shows at the item; the sentence naming them all is for
        # the API (dispatch.forms.add_violations: None shows nowhere else).
        self.rule_fields = {f"answers.{q.code}": field_name(q) for q in questions}
        self.rule_fields["answers"] = None

    def item_fields(self):
        return [self[field_name(q)] for q in self.questions]

    def answers(self) -> dict:
        return {q.code: self.cleaned_data.get(field_name(q)) for q in self.questions}


# R23: the survey's one-time code, as the customer types it.
CodeForm = OneTimeCodeForm


class CardForm(forms.Form):
    item = forms.ChoiceField(
        label=_("Handed to the customer"),
        choices=CardItem.choices,
        initial=CardItem.CARD,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # R18: the FAQ handbook is offered only where the centre allows it in place of the card;
        # surveys.services.hand_over_card decides.
        if not faq_handbook_allowed():
            self.fields["item"].choices = [(CardItem.CARD, CardItem.CARD.label)]


class EngineerChoiceField(UserChoiceField):
    def label_from_instance(self, obj):
        return display_name(obj)


class ResultsFilterForm(forms.Form):
    engineer = EngineerChoiceField(
        label=_("Engineer"), queryset=User.objects.none(), required=False, empty_label=_("All")
    )
    start = DayField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = DayField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["engineer"].queryset = (
            User.objects.filter(groups__name=Role.ENGINEER).distinct().order_by("username")
        )


class QuestionForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = ["text", "text_en", "kind", "code", "importance", "position", "required", "active"]
        help_texts = {
            "code": _("Short name used by the analysis; it can't change once answered."),
        }
