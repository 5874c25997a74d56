"""The benchmark reuses the integration tests' fixtures (Home Assistant against the simulator)."""

from tests.conftest import local_sockets, simulator, simulator_factory  # noqa: F401
from tests.integration.conftest import auto_enable_custom_integrations, credentials, sim  # noqa: F401
