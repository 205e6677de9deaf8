"""R27: the banned phrases (服务禁语) of the seeds, as editable data.

`phrase` is what is matched (ignoring spaces and punctuation); where the seed's sentence has
a harmless lead-in ("嗯，", "你要去**部，"), the phrase keeps the part that does the harm and
`source` quotes the seed in full.
"""

from django.db import migrations

# (phrase, source, say instead)
PHRASES = [
    # Seed 000 §3.3 客户端服务语言规范: phrases never said to a customer.
    ("这不可能是我们的错", "000 §3.3 “这不可能是我们的错。”", ""),
    ("再这样讲没有什么意义", "000 §3.3 “我个人觉得再这样讲没有什么意义。”", ""),
    ("你明不明白我的意思", "000 §3.3 “你明不明白我的意思？”", ""),
    ("这是你的自由", "000 §3.3 “这是你的自由。”", ""),
    ("你到底想做什么", "000 §3.3 “你到底想做什么”", ""),
    ("你别激动", "000 §3.3 “你别激动，你先听我说。”", "请您慢慢说，我在听。"),
    ("我们已经尽力了", "000 §3.3 “对不起我们已经尽力了。”", ""),
    ("这是我们公司的规定", "000 §3.3 “这是我们公司的规定。”", "说明原因和您能做的事。"),
    ("我已经解释很多次了", "000 §3.3 “我已经解释很多次了。”", ""),
    ("到哪投诉都是一样的", "000 §3.3 “无论你到哪投诉都是一样的。”", ""),
    ("信不信由你", "000 §3.3 “信不信由你。”", ""),
    ("这不是为难我吗", "000 §3.3 “你这不是为难我吗？”", ""),
    ("你到底想怎么样", "000 §3.3 “你到底想怎么样？”", ""),
    (
        "你可以选择不使用",
        "000 §3.3 “这是我们的收费标准，你可以选择不使用。”",
        "对不起，这方面的问题将由我们的客户经理向您解答。",  # R28
    ),
    # Seed 000 §1.4.13 服务语言表达常见负面语言.
    ("我不能", "000 §1.4.13 负面语言 “我不能”", "说您能做什么，例如“我会在××（时间）内给您答复”。"),
    ("我不会做", "000 §1.4.13 负面语言 “我不会做”", ""),
    ("这不是我应该做的", "000 §1.4.13 负面语言 “这不是我应该做的”", ""),
    ("这不是我的职责", "000 §1.4.13 负面语言 “这不是我的职责”", ""),
    ("我想我做不了", "000 §1.4.13 负面语言 “我想我做不了”", ""),
    # Seed 004 §8.5 处理投诉的十句禁语.
    ("这种问题连小孩子都会", "004 §8.5 “这种问题连小孩子都会。”", ""),
    ("一分钱一分货", "004 §8.5 “你要知道，一分钱一分货。”", ""),
    ("绝对不可能有这种事情发生", "004 §8.5 “绝对不可能有这种事情发生。”", ""),
    ("这不是我们的事", "004 §8.5 “你要去**部，这不是我们的事。”", ""),
    ("我不太清楚", "004 §8.5 “嗯，我不太清楚。”", "等我们有了确切结果后会尽快和您联系。"),
    ("我绝对没说过这种话", "004 §8.5 “我绝对没说过这种话。”", ""),
    ("我不懂", "004 §8.5 “我不懂，我不会。”", ""),
    ("公司的规定就是这样的", "004 §8.5 “公司的规定就是这样的。”", ""),
    ("看不懂中文", "004 §8.5 “你看不懂中（英）文吗。”", ""),
    ("看不懂英文", "004 §8.5 “你看不懂中（英）文吗。”", ""),
    ("改天再联系", "004 §8.5 “改天再联系（通知）你。”", "给出确切的时间。"),
    ("改天再通知", "004 §8.5 “改天再联系（通知）你。”", "给出确切的时间。"),
]


def seed_phrases(apps, schema_editor):
    BannedPhrase = apps.get_model("dispatch", "BannedPhrase")
    for phrase, source, suggestion in PHRASES:
        BannedPhrase.objects.get_or_create(
            phrase=phrase, defaults={"source": source, "suggestion": suggestion}
        )


def remove_phrases(apps, schema_editor):
    apps.get_model("dispatch", "BannedPhrase").objects.filter(
        phrase__in=[p for p, _s, _i in PHRASES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0004_notification_delivery")]
    operations = [migrations.RunPython(seed_phrases, remove_phrases)]
