"""What the apps above visits add to a visit, asked without importing them (docs/design.md#layers).

visits sits below checklists and surveys, yet two of the five steps (R21) live there: step 2,
the kit (checklists), and step 5's survey and commitment card (surveys). As dispatch.closing
does for dispatch, visits owns this registry and the apps above fill it in their
AppConfig.ready():

- a step's page: `register_step_page("kit", url_of)`; the visit page links to `step_page(...)`;
- a fact about the visit that only an app above knows: `register_fact(SURVEY_SIGNED, check)`;
  the leaving rules (R22, R24) ask `fact(...)`. A fact no installed app reports is false;
- a page of the desk's that an app above adds (planning, issue 19): the booking page loads the
  ticket's suggested engineers and times from `desk_page(SUGGESTIONS, ticket)`, the board links
  to `desk_page(OPTIMIZE_DAY, day)`. A page no installed app offers is not shown.
- a reckoning only planning can make (issue 17): the free slots a customer may move their visit
  to (`reckon(CUSTOMER_SLOTS, visit, now)`, every rule of a suggestion kept: R7, R9 with travel,
  R11, working hours) and the engineer's travel minutes to the visit (`reckon(TRAVEL_MINUTES,
  visit)`, for the departure SMS). A reckoning no installed app makes answers `default`.
"""

from collections.abc import Callable

# Facts leaving asks for (R22, R24); surveys reports them.
SURVEY_SIGNED = "survey_signed"
CARD_HANDED = "card_handed"
# R18: the FAQ handbook was handed over in place of the card (leaving checks the setting).
HANDBOOK_HANDED = "handbook_handed"
# Desk pages the booking page and the board link to; planning offers them.
SUGGESTIONS = "suggestions"
OPTIMIZE_DAY = "optimize_day"
# Reckonings planning makes (issue 17).
CUSTOMER_SLOTS = "customer_slots"
TRAVEL_MINUTES = "travel_minutes"

_step_pages: dict[str, Callable[[object], str]] = {}
_facts: dict[str, Callable[[object], bool]] = {}
_desk_pages: dict[str, Callable[..., str]] = {}
_reckonings: dict[str, Callable[..., object]] = {}


def register_step_page(step: str, url_of: Callable[[object], str]) -> None:
    _step_pages[step] = url_of


def step_page(step: str, visit) -> str | None:
    url_of = _step_pages.get(step)
    return url_of(visit) if url_of else None


def register_fact(name: str, check: Callable[[object], bool]) -> None:
    _facts[name] = check


def fact(name: str, visit) -> bool:
    check = _facts.get(name)
    return bool(check and check(visit))


def register_desk_page(name: str, url_of: Callable[..., str]) -> None:
    _desk_pages[name] = url_of


def desk_page(name: str, *args) -> str | None:
    url_of = _desk_pages.get(name)
    return url_of(*args) if url_of else None


def register_reckoning(name: str, reckon_with: Callable[..., object]) -> None:
    _reckonings[name] = reckon_with


def reckon(name: str, *args, default=None):
    reckon_with = _reckonings.get(name)
    return reckon_with(*args) if reckon_with else default
