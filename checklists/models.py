"""The seven-item kit (七个一), the self-check and the no-alcohol declaration as data (R12,
R18–R20). Workflows live in checklists.services.

Items are edited by supervisors. A visit's run copies the wording of the items it asks, so a past
run keeps the words the engineer was shown after an item is renamed, reordered or retired.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class ItemGroup(models.TextChoices):
    KIT = "kit", _("Seven-item kit")  # R18 七个一
    SELF_CHECK = "self_check", _("Self-check")  # R19 自检
    DECLARATION = "declaration", _("Declaration")  # R12


def _in_language(zh: str, en: str) -> str:
    """zh-Hans is the default; English when the page is in English and the item has it."""
    language = (get_language() or "zh-hans").lower()
    if language.startswith("en") and en:
        return en
    return zh


class Labelled(models.Model):
    """The wording of an item, in both interface languages, and its place on the list."""

    group = models.CharField(_("kit section"), max_length=20, choices=ItemGroup.choices)
    label_zh = models.CharField(_("label (Chinese)"), max_length=120)
    label_en = models.CharField(_("label (English)"), max_length=120, blank=True)
    # R18: the centre may allow something in place of an item (FAQ handbook for the card).
    substitute_zh = models.CharField(_("allowed substitute (Chinese)"), max_length=120, blank=True)
    substitute_en = models.CharField(_("allowed substitute (English)"), max_length=120, blank=True)
    required = models.BooleanField(
        _("required before arrival"),
        default=True,
        help_text=_("Arrival is refused until every required item is ticked."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        abstract = True

    @property
    def label(self) -> str:
        return _in_language(self.label_zh, self.label_en)

    @property
    def substitute(self) -> str:
        return _in_language(self.substitute_zh, self.substitute_en)


class ChecklistItem(Labelled):
    """One item of the pre-visit check as a supervisor keeps it (R20: items are data)."""

    # A stable key for the seeded items (tests, demo, imports); supervisor-added items get one too.
    code = models.SlugField(_("code"), max_length=40, unique=True)
    active = models.BooleanField(
        _("in use"), default=True, help_text=_("Retired items are no longer asked.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-active", "position", "id"]
        verbose_name = _("kit item")
        verbose_name_plural = _("kit items")
        constraints = [
            models.CheckConstraint(
                condition=Q(group__in=ItemGroup.values), name="checklist_item_group_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.label_zh


class ChangeKind(models.TextChoices):
    CREATED = "created", _("Added")
    EDITED = "edited", _("Edited")
    MOVED = "moved", _("Moved")
    RETIRED = "retired", _("Retired")
    RESTORED = "restored", _("Back in use")


class ChecklistItemChange(models.Model):
    """Append-only history of a supervisor's changes to the items (docs/design.md, "A state
    change"). Items have no ticket, so they can't use the ticket timeline."""

    item = models.ForeignKey(ChecklistItem, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=ChangeKind.choices)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.item_id} {self.kind}"


class KitRun(models.Model):
    """The check of one visit: the items it asks (copied) and their ticks."""

    visit = models.OneToOneField(
        "visits.Visit", verbose_name=_("visit"), on_delete=models.CASCADE, related_name="kit_run"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Every required item ticked; cleared again if one is unticked before arrival.
    completed_at = models.DateTimeField(_("complete at"), null=True, blank=True)

    class Meta:
        verbose_name = _("kit check")
        verbose_name_plural = _("kit checks")

    def __str__(self) -> str:
        return f"kit {self.visit_id}"


class KitRunItem(Labelled):
    """One item as it was asked on one visit, with its tick."""

    run = models.ForeignKey(KitRun, on_delete=models.CASCADE, related_name="items")
    # Items are retired, never deleted, so reports can group a run's items by their source.
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="run_items")
    ticked_at = models.DateTimeField(_("ticked at"), null=True, blank=True)
    used_substitute = models.BooleanField(_("substitute used"), default=False)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "item"], name="kit_run_item_once"),
            models.CheckConstraint(
                condition=Q(used_substitute=False) | Q(ticked_at__isnull=False),
                name="kit_run_item_substitute_only_when_ticked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} {self.label_zh}"

    @property
    def ticked(self) -> bool:
        return self.ticked_at is not None
