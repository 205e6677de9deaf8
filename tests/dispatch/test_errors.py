"""The written texts a rule asks for (a reason, a note, a summary): one check, dispatch.errors
.require_text, used by every service (issue 13). Blanks alone are no text; the text kept is the
one without its surrounding blanks; several missing texts are reported together (issue 15)."""

import pytest

from dispatch.errors import Checks, RuleViolation, require_text


def test_the_text_is_kept_without_its_surrounding_blanks():
    text = require_text(
        "  客户不在家 \n", code="reason_required", message="Say why.", field="reason"
    )
    assert text == "客户不在家"


@pytest.mark.parametrize("value", [None, "", "   ", "\n\t　"])
def test_no_text_is_refused_at_its_field_with_the_rules_sentence(value):
    with pytest.raises(RuleViolation) as exc:
        require_text(value, code="reason_required", message="Say why.", field="reason")
    assert (exc.value.code, exc.value.status, exc.value.field) == ("reason_required", 400, "reason")
    assert exc.value.by_field() == {"reason": ["Say why."]}


def test_two_missing_texts_are_reported_together():
    checks = Checks()
    with checks:
        require_text(" ", code="note_required", message="Write a note.", field="note")
    with checks:
        require_text("", code="reason_required", message="Say why.", field="reason")
    with pytest.raises(RuleViolation) as exc:
        checks.done()
    assert exc.value.by_field() == {"note": ["Write a note."], "reason": ["Say why."]}
