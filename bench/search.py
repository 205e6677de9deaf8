"""Ticket search at volume (issue 15): `python -m bench.search [--tickets N]`, with DATABASE_URL
pointing at a PostgreSQL database of its own (it adds N tickets with realistic Chinese names,
addresses and phones, once, and keeps them). Prints the table of docs/benchmarks.md, "Ticket
search": each query answered by a scan, by the trigram index dispatch.search uses, and by
full-text search, with what each finds.

Not part of `make bench` (whose dataset numbers and names are synthetic: '客户1', '某市某区某路'):
the question here is how Chinese text is matched, which needs text like the centre's."""

import argparse
import os
import random
import statistics
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲芬燕彬鹏浩宇轩博文晨辰欣怡子涵梓萱雨婷思雅建国志强海燕丽娟俊杰"  # noqa: E501
TITLES = ("先生", "女士", "", "", "")
CITIES = {
    "广州市": ["天河区", "越秀区", "海珠区", "荔湾区", "白云区", "黄埔区", "番禺区", "花都区"],
    "深圳市": ["福田区", "罗湖区", "南山区", "宝安区", "龙岗区", "盐田区", "龙华区"],
    "佛山市": ["禅城区", "南海区", "顺德区", "三水区", "高明区"],
    "东莞市": ["莞城街道", "南城街道", "东城街道", "虎门镇", "长安镇"],
}
ROADS = [
    "体育西路",
    "中山大道",
    "天河北路",
    "黄埔大道",
    "环市东路",
    "解放北路",
    "北京路",
    "江南大道",
    "工业大道",
    "广州大道",
    "深南大道",
    "滨河大道",
    "北环大道",
    "红荔路",
    "华强北路",
    "科技园路",
    "创业路",
    "宝安大道",
    "布吉路",
    "季华路",
    "佛山大道",
    "岭南大道",
    "东莞大道",
    "鸿福路",
    "人民路",
    "建设路",
    "新港西路",
    "沿江中路",
    "五羊新城路",
    "龙口西路",
]
ESTATES = [
    "翠苑",
    "锦绣花园",
    "丽江花园",
    "碧桂园",
    "金沙洲",
    "星河湾",
    "华景新城",
    "天河公园",
    "中海锦苑",
    "保利花园",
    "万科城",
    "富力城",
    "恒大绿洲",
    "雅居乐",
    "南国奥园",
    "祈福新邨",
    "汇景新城",
    "凤凰城",
    "珠江帝景",
    "时代花园",
]

# The queries a dispatcher types for a repeat caller: (what, query).
QUERIES = [
    ("phone, all 11 digits", "{phone}"),
    ("phone as spoken, spaces", "{phone_spaced}"),
    ("phone, last 8 digits", "{phone_tail}"),
    ("name, 3 characters", "{name}"),
    ("surname + title (2–3 characters)", "{surname_title}"),
    ("district, 2 characters", "天河"),
    ("district, 3 characters", "天河区"),
    ("road, 4 characters", "体育西路"),
    ("estate + building", "{estate} {building}"),
    ("ticket number, in full", "{number}"),
    ("ticket number, the day's part", "{number_day}"),
    ("one character", "王"),
]


def _phone(rng) -> str:
    return "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))


def load(n: int, log, reload: bool = False) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from dispatch.models import Ticket
    from dispatch.roles import Role

    if not reload and Ticket.objects.filter(number__startswith="SR-").count() >= n:
        return
    Ticket.objects.filter(number__startswith="SR-").delete()
    User = get_user_model()
    owner, _ = User.objects.get_or_create(username="search-dispatcher")
    owner.groups.add(Group.objects.get(name=Role.DISPATCHER))
    rng = random.Random(15)
    tz = ZoneInfo("Asia/Shanghai")
    start = datetime(2026, 5, 1, 8, tzinfo=tz)
    cities = list(CITIES)
    rows = []
    started = time.monotonic()
    for i in range(n):
        city = rng.choice(cities)
        district = rng.choice(CITIES[city])
        estate = rng.choice(ESTATES)
        surname = rng.choice(SURNAMES)
        name = surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        # Many callers give only their surname: 黎女士, 王先生.
        title = rng.choice(TITLES)
        customer_name = (
            surname + rng.choice(("先生", "女士")) if rng.random() < 0.3 else name + title
        )
        taken = start + timedelta(seconds=155 * i)
        rows.append(
            Ticket(
                number=f"SR-{taken:%Y%m%d}-{i % 10000:04d}",
                customer_name=customer_name,
                contact_person=name if rng.random() < 0.7 else "",
                phone="+86" + _phone(rng),
                address=(
                    f"{city}{district}{rng.choice(ROADS)}{rng.randint(1, 999)}号{estate}"
                    f"{rng.randint(1, 30)}栋{rng.randint(1, 33)}0{rng.randint(1, 8)}房"
                ),
                phenomenon="室内信号弱，通话经常掉线",
                location_detail=rng.choice(("客厅", "主卧", "厨房", "阳台", "书房")),
                customer_action="在家打电话",
                kind=rng.choice(("perception", "solve", "difficult")),
                status=rng.choice(("closed",) * 8 + ("open", "in_progress")),
                owner=owner,
                created_by=owner,
            )
        )
        if len(rows) == 5000:
            Ticket.objects.bulk_create(rows)
            rows = []
    Ticket.objects.bulk_create(rows)
    # created_at is auto_now_add: spread the tickets over the months they stand for.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE dispatch_ticket SET created_at = to_timestamp(substr(number, 4, 8), "
            "'YYYYMMDD') + (id % 86400) * interval '1 second' WHERE number LIKE 'SR-%%'"
        )
        cursor.execute("ANALYZE dispatch_ticket")
    log(f"loaded {n} tickets in {time.monotonic() - started:.0f} s")


def _samples(rng):
    from dispatch.models import Ticket

    ids = list(Ticket.objects.filter(number__startswith="SR-").values_list("pk", flat=True)[:5000])
    ticket = Ticket.objects.get(pk=rng.choice(ids))
    phone = ticket.phone.national_number
    digits = str(phone)
    named = Ticket.objects.filter(number__startswith="SR-", contact_person__regex=r"^.{3}$")
    name = named.order_by("pk").values_list("contact_person", flat=True)[rng.randint(0, 500)]
    estate = next(e for e in ESTATES if e in ticket.address)
    building = ticket.address.split(estate)[1].split("栋")[0] + "栋"
    return {
        "phone": digits,
        "phone_spaced": f"{digits[:3]} {digits[3:7]} {digits[7:]}",
        "phone_tail": digits[3:],
        "name": name,
        "surname_title": name[0] + "女士",
        "estate": estate,
        "building": building,
        "number": ticket.number,
        "number_day": ticket.number[3:11],
    }


def _timed(run, repeats: int) -> float:
    """The median of `repeats` runs, in ms, after one to warm the cache."""
    run()  # warm
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        run()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def measure(repeats: int, log) -> list[tuple]:
    from django.db import connection, transaction

    from dispatch import search
    from dispatch.models import Ticket

    rng = random.Random(7)
    values = _samples(rng)
    base = Ticket.objects.all()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE INDEX IF NOT EXISTS bench_ticket_fts ON dispatch_ticket USING gin "
            "(to_tsvector('simple', number || ' ' || customer_name || ' ' || contact_person "
            "|| ' ' || phone || ' ' || address))"
        )
    rows = []
    for what, template in QUERIES:
        query = template.format(**values)
        qs = search.search(base, query)

        def page(qs=qs):
            list(qs.order_by("-created_at", "-id").values_list("pk", flat=True)[:25])

        def count(qs=qs):
            qs.count()

        def scan(run):
            def _run():
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SET LOCAL enable_bitmapscan = off")
                    run()

            return _run

        found = qs.count()
        words = search.terms(query)
        fts = (
            "SELECT count(*) FROM dispatch_ticket WHERE to_tsvector('simple', number || ' ' || "
            "customer_name || ' ' || contact_person || ' ' || phone || ' ' || address) @@ "
            "plainto_tsquery('simple', %s)"
        )

        def fts_count(words=words, fts=fts):
            with connection.cursor() as cursor:
                cursor.execute(fts, [" ".join(words)])
                return cursor.fetchone()[0]

        rows.append(
            (
                what,
                query,
                found,
                _timed(scan(count), repeats),
                _timed(count, repeats),
                _timed(scan(page), repeats),
                _timed(page, repeats),
                fts_count(),
                _timed(fts_count, repeats),
            )
        )
        log(" | ".join(str(c if not isinstance(c, float) else f"{c:.1f}") for c in rows[-1]))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--reload", action="store_true", help="load the tickets again")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        print("PostgreSQL only: set DATABASE_URL")
        return 2
    load(args.tickets, print, reload=args.reload)
    rows = measure(args.repeats, print)
    print()
    print(
        "| query | typed | found | count, scan | count, trigram | page, scan | page, trigram "
        "| full-text finds | full-text count |"
    )
    print("|---|---|--:|--:|--:|--:|--:|--:|--:|")
    for row in rows:
        what, query, found, *rest = row
        cells = [f"{x:.1f} ms" if isinstance(x, float) else str(x) for x in rest]
        print(f"| {what} | `{query}` | {found} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
