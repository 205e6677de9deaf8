"""Run the benchmark: `python -m bench [--reload] [--write FILE]` (see docs/benchmarks.md)."""

import argparse
import os
import platform
import subprocess
import sys
import time
import warnings
from urllib.parse import urlparse

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/seed_bench"


def log(message: str) -> None:
    print(message, flush=True)


def scale_url(url: str, scale: str) -> str:
    parts = urlparse(url)
    name = parts.path.lstrip("/")
    if not name.endswith(f"_{scale}"):
        name = f"{name}_{scale}"
    return parts._replace(path="/" + name).geturl()


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    conn = psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
    )
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            log(f"Creating database {name}")
            cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def machine() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cpu = subprocess.run(
        ["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "CPUs (nproc)": str(os.cpu_count()),
        "CPU": cpu,
        "Memory": mem,
        "PostgreSQL": pg,
        "Python": platform.python_version(),
        "OS": platform.platform(),
        "Load average (1/5/15 min) at the end": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--reload", action="store_true", help="rebuild the dataset")
    parser.add_argument(
        "--scale",
        default="100k",
        choices=("10k", "100k", "1m"),
        help="tickets in the dataset (visits ×3, deadlines ×10); each scale has its own database",
    )
    parser.add_argument("--write", default="docs/benchmarks.md", help="results file ('' = none)")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=(
            "pages",
            "sweep",
            "booking",
            "due",
            "throughput",
            "signature",
            "planning",
            "import",
        ),
        help="run these scenarios alone (and write no results file)",
    )
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        log("make bench needs PostgreSQL (DATABASE_URL=postgres://…)")
        return 2
    # One database per scale, so each is loaded once: seed_bench_100k, seed_bench_1m, …
    url = scale_url(url, args.scale)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    ensure_database(url)

    import django

    django.setup()
    from django.conf import settings

    # Measure as production runs: no template debugging, no query log. (Static files keep the
    # development storage, so no collectstatic is needed.)
    settings.DEBUG = False
    import logging

    logging.getLogger("axes").setLevel(logging.WARNING)  # force_login's notices
    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise, no collectstatic
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from . import dataset, scenarios

    dataset.set_scale(args.scale)
    if args.reload or not dataset.loaded():
        n = dataset.TICKETS
        log(
            f"Loading the dataset ({n:,} tickets, {dataset.VISITS:,} visits, "
            f"{dataset.deadlines():,} deadlines)…"
        )
        started = time.monotonic()
        dataset.load(log)
        log(f"Dataset loaded in {time.monotonic() - started:.0f} s")
    else:
        log("Reusing the loaded dataset (--reload rebuilds it); vacuuming what the last run left")
        dataset.vacuum()

    results = scenarios.run_all(log, args.only or scenarios.SCENARIOS, args.scale)
    table = scenarios.render(results)
    log("")
    log(table)
    if args.write and not args.only:
        scenarios.write_markdown(args.write, results, machine(), args.scale)
        log(f"\nWritten to {args.write}")
    return 0 if all(r.ok is not False for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
