"""Every message to a node carries the time the portal sent it (for the agent's task latency)."""

import json
import time

import pytest
import redis
from django.conf import settings

from network import dispatch
from network.models import NetworkNode
from tests.conftest import broker_key


@pytest.mark.django_db
def test_it_stamps_every_message_with_its_send_time() -> None:
    node = NetworkNode.objects.create(name="unit-stamp")
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    before = time.time()
    assert dispatch.send(node, dispatch.RECONCILE_ROUTER, 7)
    raw = client.rpop(broker_key(node.queue))
    assert raw is not None
    headers = json.loads(raw)["headers"]
    assert before <= headers[dispatch.SENT_AT] <= time.time()
