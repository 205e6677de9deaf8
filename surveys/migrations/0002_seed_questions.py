"""R22/R25: the items of the service supervision survey (服务监督调查表), as data a supervisor
can edit. Five satisfaction items with their importance, the customer's own "resolved?" and
comments (seed 000 §3.2: satisfaction, comments, signature)."""

from django.db import migrations

QUESTIONS = [
    # code, kind, zh-Hans, English, importance (1–5), required
    (
        "punctuality",
        "rating",
        "准时守约（按约定时间上门）",
        "Punctuality (came at the agreed time)",
        4,
        True,
    ),
    ("manner", "rating", "仪容仪表与服务态度", "Appearance and manner", 3, True),
    (
        "professionalism",
        "rating",
        "专业水平（测试与讲解）",
        "Professionalism (testing and explaining)",
        5,
        True,
    ),
    (
        "tidiness",
        "rating",
        "现场整洁（鞋套、垫布、清理现场）",
        "Tidiness (shoe covers, mat, cleaning up)",
        2,
        True,
    ),
    ("result", "rating", "处理结果", "Result of the work", 5, True),
    (
        "resolved",
        "yes_no",
        "您反映的问题是否已经解决？",
        "Is the problem you reported solved?",
        5,
        True,
    ),
    ("comments", "text", "您的宝贵意见", "Your comments and suggestions", 1, False),
]


def seed(apps, schema_editor):
    Question = apps.get_model("surveys", "Question")
    for position, (code, kind, text, text_en, importance, required) in enumerate(QUESTIONS, 1):
        Question.objects.update_or_create(
            code=code,
            defaults={
                "kind": kind,
                "text": text,
                "text_en": text_en,
                "importance": importance,
                "position": position * 10,
                "required": required,
                "active": True,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("surveys", "Question").objects.filter(
        code__in=[q[0] for q in QUESTIONS], answers__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
