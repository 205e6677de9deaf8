"""Every state change of the survey (docs/design.md#a-state-change): issue a link, prove the
customer's phone, sign, hand over the commitment card, edit the questions.

R23 is a property of these functions, not of the pages: a signed survey can only come out of
`sign_survey`, which needs a live single-use token, and, whenever the token has been on a staff
member's screen or is used in a staff member's browser, the one-time code sent by SMS to the
customer's own number, proved in the same browser.

Split by topic: `links` (issue, find, check a link), `codes` (the one-time code), `signing`
(the work order, the answers, the signature), `card` (the commitment card after signing),
`questions` (R25). Import from here: `surveys.services.sign_survey`.
"""

from .card import hand_over_card
from .codes import send_code, verify_code
from .links import (
    IssuedLink,
    check_live,
    customer_path,
    find_link,
    hash_token,
    issue_link,
    needs_code,
)
from .questions import QUESTION_FIELDS, save_question
from .signing import sign_survey, work_order_lines, work_order_text

__all__ = [
    "QUESTION_FIELDS",
    "IssuedLink",
    "check_live",
    "customer_path",
    "find_link",
    "hand_over_card",
    "hash_token",
    "issue_link",
    "needs_code",
    "save_question",
    "send_code",
    "sign_survey",
    "verify_code",
    "work_order_lines",
    "work_order_text",
]
