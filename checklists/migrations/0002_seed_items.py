"""The items every kit starts with: 七个一 (R18), the self-check (R19) and the no-alcohol
declaration (R12), in the words of seed 000 §3.1–3.4. Supervisors edit them in the app (R20).

The self-check is one item with its three check points (工衣、工作牌、头发): the seed describes it
as one look in the mirror five minutes before meeting the customer, and it keeps the whole check
to nine taps on a phone.
"""

from django.db import migrations

# code, group, position, label_zh, label_en, substitute_zh, substitute_en
ITEMS = [
    ("badge", "kit", 1, "一张工作牌", "A work badge", "", ""),
    (
        "clothing",
        "kit",
        2,
        "一套适合场合的服装（工装）",
        "Clothing fit for the occasion (uniform)",
        "",
        "",
    ),
    ("tool_bag", "kit", 3, "一个工具袋（有公司标志）", "A tool bag with the company logo", "", ""),
    ("shoe_covers", "kit", 4, "一副鞋套", "A pair of shoe covers", "", ""),
    ("mat_cloth", "kit", 5, "一张垫布", "A mat cloth", "", ""),
    ("water_bottle", "kit", 6, "一个水壶", "A water bottle", "", ""),
    # R18: the centre may allow an FAQ handbook in place of the commitment card (000 §3.1).
    (
        "commitment_card",
        "kit",
        7,
        "一张服务承诺卡",
        "A service commitment card",
        "FAQ 手册",
        "FAQ handbook",
    ),
    # R19: five minutes before meeting the customer.
    (
        "self_check",
        "self_check",
        1,
        "仪容自检：工衣整洁、工作牌佩戴胸前、头发整齐",
        "Self-check: uniform neat, badge on the chest, hair tidy",
        "",
        "",
    ),
    # R12
    (
        "no_alcohol",
        "declaration",
        1,
        "本人声明：上门前未饮酒",
        "I declare that I have not drunk alcohol before this visit",
        "",
        "",
    ),
]


def seed_items(apps, schema_editor):
    ChecklistItem = apps.get_model("checklists", "ChecklistItem")
    for code, group, position, label_zh, label_en, sub_zh, sub_en in ITEMS:
        ChecklistItem.objects.update_or_create(
            code=code,
            defaults={
                "group": group,
                "position": position,
                "label_zh": label_zh,
                "label_en": label_en,
                "substitute_zh": sub_zh,
                "substitute_en": sub_en,
                "required": True,
                "active": True,
            },
        )


def remove_items(apps, schema_editor):
    ChecklistItem = apps.get_model("checklists", "ChecklistItem")
    ChecklistItem.objects.filter(code__in=[item[0] for item in ITEMS], run_items=None).delete()


class Migration(migrations.Migration):
    dependencies = [("checklists", "0001_initial")]
    operations = [migrations.RunPython(seed_items, remove_items)]
