"""The detail page's traffic chart summed by PostgreSQL (vpn/traffic.py) gives what
vpn.availability.traffic() gives from the samples themselves."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from vpn.availability import Sample, traffic
from vpn.models import TrafficSample, VpnConnection
from vpn.traffic import LOOKBACK, traffic_buckets


@pytest.mark.django_db
def test_it_sums_each_bucket_as_traffic_does_with_restarts_and_edges(gateway, cgw) -> None:
    connection = VpnConnection.objects.create(gateway=gateway, customer_gateway=cgw)
    end = timezone.now().replace(microsecond=0)
    start = end - timedelta(days=1)
    width = (end - start) / 48
    moments = [start - LOOKBACK + timedelta(minutes=1), start, start + width, end]
    rng = random.Random(14)
    moments += [start + timedelta(seconds=rng.randrange(86_400)) for _ in range(300)]
    counters, samples = [0, 0], []
    for at in sorted(moments):
        if rng.random() < 0.05:  # a new SA: the counters start again
            counters = [0, 0]
        counters = [counters[0] + rng.randrange(10**6), counters[1] + rng.randrange(10**5)]
        samples.append(
            TrafficSample(connection=connection, at=at, bytes_in=counters[0], bytes_out=counters[1])
        )
    TrafficSample.objects.bulk_create(samples)
    expected = traffic(
        [Sample(s.at, s.bytes_in, s.bytes_out) for s in samples], start=start, end=end
    )
    assert traffic_buckets(connection.pk, start=start, end=end) == expected
    assert sum(b.bytes_in for b in expected) > 0
