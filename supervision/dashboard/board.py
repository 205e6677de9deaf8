"""Everything the dashboard shows, read once for the page, its exports and the API."""

from dataclasses import dataclass

from django.http import QueryDict

from dispatch.periods import Period

from . import selectors
from .filters import PeriodForm, ScopeForm


@dataclass
class Board:
    period_form: PeriodForm
    scope_form: ScopeForm
    period: Period
    watchlist: selectors.Watchlist
    records: list[selectors.EngineerRecord]
    teams: list[selectors.EngineerRecord]
    trend: list[dict]

    @property
    def valid(self) -> bool:
        return self.period_form.is_valid() and self.scope_form.is_valid()

    @property
    def errors(self) -> dict:
        return {**self.period_form.errors, **self.scope_form.errors}


def read_board(params: QueryDict) -> Board:
    """Bind the filters to the request's parameters and read the board: five queries whatever
    the data size (teams, engineers with their records, satisfaction, the watchlist, the
    trend). Invalid filters keep their errors (for the page to show, the API to return) and
    the board falls back to the default period and the whole centre."""
    period_form = PeriodForm(params or PeriodForm.defaults())
    if period_form.is_valid():
        period = period_form.period()
    else:
        fallback = PeriodForm(PeriodForm.defaults())
        fallback.is_valid()
        period = fallback.period()
    teams = selectors.teams()
    records = selectors.engineer_records(period, teams)
    scope_form = ScopeForm(params, engineers=[r.engineer for r in records], teams=teams)
    scope = {"engineer": None, "team": None}
    kind = None
    if scope_form.is_valid():
        scope = {
            "engineer": scope_form.cleaned_data["engineer"],
            "team": scope_form.cleaned_data["team"],
        }
        kind = scope_form.cleaned_data["kind"] or None
    scoped = selectors.in_scope(records, **scope)
    return Board(
        period_form=period_form,
        scope_form=scope_form,
        period=period,
        watchlist=selectors.watchlist(kind=kind, **scope),
        records=scoped,
        teams=selectors.team_records(scoped),
        trend=selectors.weekly_trend(period, **scope),
    )
