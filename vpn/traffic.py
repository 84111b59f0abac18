"""A connection's traffic per bucket of a window, summed by PostgreSQL: the detail page's chart
reads 48 rows instead of a day of samples (1,440 at one a minute, whose loading was a fifth of
the page's time). The same sums as vpn.availability.traffic(), which stays the definition (and
what other databases, the demo's SQLite, use): each sample in the window adds its increase over
the sample before it (a counter that went back restarted with a new SA: it adds its value) to
the bucket it falls in.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection as db

from vpn.availability import TRAFFIC_BUCKETS, Bucket, Sample, traffic
from vpn.models import TrafficSample

# How far before the window a sample may be the base of its first interval.
LOOKBACK = timedelta(minutes=10)
_MICROSECONDS = timedelta(microseconds=1)


def traffic_buckets(
    connection_id: int, *, start: datetime, end: datetime, buckets: int = TRAFFIC_BUCKETS
) -> list[Bucket]:
    width = (end - start) / buckets
    if db.vendor != "postgresql":
        rows = TrafficSample.objects.filter(
            connection_id=connection_id, at__gte=start - LOOKBACK
        ).order_by("at")
        samples = [Sample(*row) for row in rows.values_list("at", "bytes_in", "bytes_out")]
        return traffic(samples, start=start, end=end, buckets=buckets)
    with db.cursor() as cursor:
        cursor.execute(
            # Integer microseconds throughout: a sample on a bucket's edge lands where
            # traffic() puts it. The samples are read on the (connection, newest first) index.
            "SELECT LEAST(FLOOR(EXTRACT(EPOCH FROM at - %(start)s) * 1000000 / %(width)s),"
            "             %(last)s)::int AS bucket,"
            "       SUM(CASE WHEN bytes_in >= prev_in THEN bytes_in - prev_in"
            "                ELSE bytes_in END),"
            "       SUM(CASE WHEN bytes_out >= prev_out THEN bytes_out - prev_out"
            "                ELSE bytes_out END)"
            " FROM (SELECT at, bytes_in, bytes_out,"
            "              LAG(bytes_in) OVER w AS prev_in, LAG(bytes_out) OVER w AS prev_out"
            "        FROM vpn_trafficsample"  # TrafficSample's table
            "        WHERE connection_id = %(connection)s AND at >= %(since)s"
            "        WINDOW w AS (ORDER BY at)) AS pairs"
            " WHERE prev_in IS NOT NULL AND at >= %(start)s AND at < %(end)s"
            " GROUP BY bucket",
            {
                "start": start,
                "end": end,
                "since": start - LOOKBACK,
                "width": width // _MICROSECONDS,
                "last": buckets - 1,
                "connection": connection_id,
            },
        )
        sums = {bucket: (int(bytes_in), int(bytes_out)) for bucket, bytes_in, bytes_out in cursor}
    return [
        Bucket(start + width * i, start + width * (i + 1), *sums.get(i, (0, 0)))
        for i in range(buckets)
    ]
