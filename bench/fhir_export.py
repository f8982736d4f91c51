"""FHIR bulk $export: time, records per second and peak memory of one practice's export.

Run from the repository root against a PostgreSQL database of its own:

    createdb -h 127.0.0.1 -U postgres tandem_bench_export
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tandem_bench_export \\
        .venv/bin/python bench/fhir_export.py [--records 100000] [--chunk 1000]

It migrates the database, then seeds (once; a rerun reuses them) one psychiatric practice
whose prescriber has ``--records`` resources to export: a client for every 20 records
(Patient) and PHQ-9 responses for the rest (each one QuestionnaireResponse and one
Observation), written with ``bulk_create``. It registers a system client for the
prescriber, kicks off an export of Patient, QuestionnaireResponse and Observation as
the API does (``export.start_export``) and runs the real task worker in this process
(``db_worker --batch``), which writes the ndjson files to a temporary directory and
appends one audit event per exported record. It prints the export's time, records per
second, the SQL queries, tracemalloc's peak (Python allocations during the run) and the
growth of the process's maximum resident set (``ru_maxrss``; on Linux also the peak
resident set during the export alone, ``VmHWM`` after resetting it), then checks every
file's line count against the manifest. See bench/README.md.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandem.settings.dev")
os.environ.setdefault("DEBUG", "false")
EXPORT_DIR = tempfile.mkdtemp(prefix="tandem-fhir-export-")
os.environ["FHIR_EXPORT_ROOT"] = EXPORT_DIR

import django  # noqa: E402

django.setup()

import datetime as dt  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from tandem.clients.models import CareTeamMember, Client  # noqa: E402
from tandem.core.roles import Role  # noqa: E402
from tandem.fhir import export  # noqa: E402
from tandem.fhir.auth import actor_for  # noqa: E402
from tandem.fhir.models import ExportJob, ExportStatus  # noqa: E402
from tandem.measures.instruments import INSTRUMENTS  # noqa: E402
from tandem.measures.models import QuestionnaireResponse  # noqa: E402
from tandem.organisations.models import Organisation  # noqa: E402

PRACTICE = "Bench Export Psychiatry"
TYPES = ["Patient", "QuestionnaireResponse", "Observation"]
BATCH = 5000


def seed(records: int) -> tuple[Organisation, object]:
    """Return the bench practice and its prescriber, seeding ``records`` resources if absent."""
    from tandem.core.tests.factories import OrganisationFactory, make_staff

    org = Organisation.objects.filter(name=PRACTICE).first()
    if org is not None:
        prescriber = org.memberships.get(role=Role.PRESCRIBER).user
        have = Client.objects.filter(care_team__user=prescriber).count()
        if have == records // 20:
            print(f"reusing the seeded practice ({have} clients)")
            return org, prescriber
        raise SystemExit(f"{PRACTICE} holds a different size: use a fresh database")
    started = time.perf_counter()
    org = OrganisationFactory.create(name=PRACTICE)
    prescriber = make_staff(Role.PRESCRIBER, org)
    clients = records // 20
    responses = (records - clients) // 2
    born = dt.date(1980, 1, 1)
    made = Client.objects.bulk_create(
        [
            Client(first_name=f"Bench{i}", last_name="Client", date_of_birth=born)
            for i in range(clients)
        ],
        batch_size=BATCH,
    )
    CareTeamMember.objects.bulk_create(
        [
            CareTeamMember(client=c, user=prescriber, organisation=org, role=Role.PRESCRIBER)
            for c in made
        ],
        batch_size=BATCH,
    )
    phq9 = INSTRUMENTS["phq-9"]
    answers = [1, 1, 1, 1, 1, 1, 1, 1, 0]
    result = phq9.score(answers)
    now = timezone.now()
    for start in range(0, responses, BATCH):
        QuestionnaireResponse.objects.bulk_create(
            [
                QuestionnaireResponse(
                    client=made[i % clients],
                    instrument=phq9.code,
                    instrument_version=phq9.version,
                    answers=answers,
                    total=result.total,
                    band=result.band or "",
                    positive=result.positive,
                    flags=list(result.flags),
                    complete=True,
                    source="clinician",
                    organisation=org,
                    entered_by=prescriber,
                    entered_at=now - dt.timedelta(minutes=i),
                    idempotency_key=uuid.uuid4().hex,
                )
                for i in range(start, min(start + BATCH, responses))
            ]
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"seeded {clients} clients and {responses} responses "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return org, prescriber


def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=1000)
    parser.add_argument(
        "--no-tracemalloc", action="store_true", help="time without tracemalloc's overhead"
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Run it on PostgreSQL: DATABASE_URL=postgres://...")
    call_command("migrate", verbosity=0)
    org, prescriber = seed(args.records)
    from tandem.fhir.tests.factories import system_client

    system = system_client(prescriber, org)
    ExportJob.objects.filter(status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]).update(
        status=ExportStatus.FAILED
    )
    job = export.start_export(
        system=system,
        actor=actor_for(system),
        types=TYPES,
        since=None,
        request_url="https://tandem.invalid/fhir/$export",
    )

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    held_before = _status_kb("VmRSS")
    reset = _reset_peak_rss()  # Linux: so VmHWM is the export's own peak, not the seeding's
    if not args.no_tracemalloc:
        tracemalloc.start()
    queries = [0]

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        queries[0] += 1
        return execute(sql, params, many, context)

    with (
        connection.execute_wrapper(count),
        override_settings(FHIR_EXPORT_CHUNK=args.chunk, DEBUG=False),
    ):
        started = time.perf_counter()
        call_command(
            "db_worker", batch=True, startup_delay=False, interval=0, verbosity=0,
            stdout=io.StringIO(), stderr=io.StringIO(),
        )  # fmt: skip
        elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()  # (0, 0) when not tracing
    tracemalloc.stop()
    tracing = "on" if not args.no_tracemalloc else "off"
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_rss = _status_kb("VmHWM") if reset else None

    job.refresh_from_db()
    if job.status != ExportStatus.DONE:
        raise SystemExit(f"the export ended {job.status}: {job.error}")
    total = sum(item["count"] for item in job.output)
    for item in job.output:
        with export.storage().open(item["file"]) as handle:
            lines = sum(1 for _ in handle)
        assert lines == item["count"], (item, lines)
    size = sum(export.storage().size(item["file"]) for item in job.output)
    print(
        f"exported {total} records ({', '.join(f'{i["type"]} {i["count"]}' for i in job.output)})"
    )
    print(f"files     {size / 1e6:.1f} MB ndjson in {EXPORT_DIR}")
    print(f"time      {elapsed:.1f} s   {total / elapsed:,.0f} records/s (tracemalloc {tracing})")
    print(f"memory    tracemalloc peak {peak / 1e6:.1f} MB   ru_maxrss +{(rss_after - rss_before) / 1024:.1f} MB"
          f" (from {rss_before / 1024:.0f} MB)")  # fmt: skip
    if peak_rss is not None and held_before is not None:
        print(f"rss       peak during the export {peak_rss / 1024:.0f} MB "
              f"(held {held_before / 1024:.0f} MB before it)")  # fmt: skip
    print(f"queries   {queries[0]} SQL statements, {args.chunk} rows per chunk")


if __name__ == "__main__":
    main()
