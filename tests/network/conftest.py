from tests.network.metrics_world import world  # noqa: F401 - the metrics tests' world
