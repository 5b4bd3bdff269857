"""Where the FHIR client may connect, checked after name resolution (SSRF defence).

Found by a penetration test: with authentication off and no allow-list any https host and any
loopback port was fetched with the caller's token, and the 412 text told open, closed and
non-HTTP ports apart. A host name may also resolve to an address inside the service's network
(cloud metadata, the pod network, loopback): those are refused in every mode unless their
network is configured (``BACLOFEN_CDS_FHIR_ALLOWED_NETWORKS``).
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpcore
import pytest

from cds_hooks.fetch import NOT_PROVIDED, FetchError
from service.fhir.client import FhirClient
from service.fhir.network import (
    AddressNotAllowed,
    AddressPolicy,
    GuardedNetworkBackend,
)
from service.fhir.servers import FhirBase


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("169.254.169.254", "link-local"),  # AWS, GCP, Azure metadata
        ("fd00:ec2::254", "private"),  # AWS metadata over IPv6
        ("fe80::1", "link-local"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "private"),  # carrier-grade NAT (shared space)
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:10.0.0.1", "private"),  # an IPv4 address in IPv6 clothing
        ("0.0.0.0", "not a unicast"),
        ("224.0.0.1", "not a unicast"),
        ("240.0.0.1", "not a unicast"),
    ],
)
def test_internal_addresses_are_refused(address: str, kind: str) -> None:
    refusal = AddressPolicy().refusal(ipaddress.ip_address(address))
    assert refusal is not None and kind in refusal


def test_public_addresses_and_configured_networks_are_permitted() -> None:
    assert AddressPolicy().refusal(ipaddress.ip_address("93.184.216.34")) is None
    assert AddressPolicy().refusal(ipaddress.ip_address("2606:4700::1111")) is None
    hospital = AddressPolicy(
        (ipaddress.ip_network("10.20.0.0/16"), ipaddress.ip_network("fd12::/16"))
    )
    assert hospital.refusal(ipaddress.ip_address("10.20.3.4")) is None
    assert hospital.refusal(ipaddress.ip_address("fd12::7")) is None
    assert hospital.refusal(ipaddress.ip_address("10.21.0.1")) is not None
    assert hospital.refusal(ipaddress.ip_address("169.254.169.254")) is not None


def resolver(table: dict[str, list[str]]) -> Callable[[str, int], Any]:
    async def resolve(host: str, port: int) -> list[str]:
        return table[host]

    return resolve


class Listener:
    """A TCP listener on loopback that accepts and closes (enough to see a connection)."""

    def __init__(self) -> None:
        self.accepted = 0

    async def __aenter__(self) -> int:
        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.accepted += 1
            writer.close()

        self.server = await asyncio.start_server(accept, "127.0.0.1", 0)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()
        await self.server.wait_closed()


async def test_a_name_is_connected_to_the_address_that_was_checked() -> None:
    listener = Listener()
    async with listener as port:
        permitted = GuardedNetworkBackend(
            AddressPolicy((ipaddress.ip_network("127.0.0.0/8"),)),
            resolver({"fhir.hospital.test": ["127.0.0.1"]}),
        )
        stream = await permitted.connect_tcp("fhir.hospital.test", port, timeout=5)
        await stream.aclose()
        refusing = GuardedNetworkBackend(
            AddressPolicy(), resolver({"rebound.test": ["93.184.216.34", "127.0.0.1"]})
        )
        with pytest.raises(AddressNotAllowed, match="loopback"):
            await refusing.connect_tcp("rebound.test", port, timeout=5)
        # Written as an address (so allowed by the configuration), it is used as written.
        stream = await refusing.connect_tcp("127.0.0.1", port, timeout=5)
        await stream.aclose()
    assert listener.accepted == 2


@pytest.fixture
async def metadata_client() -> AsyncIterator[FhirClient]:
    client = FhirClient(
        3.0, resolve=resolver({"ehr.example.org": ["169.254.169.254"]}), policy=AddressPolicy()
    )
    yield client
    await client.aclose()


async def test_a_fhir_server_resolving_to_the_metadata_address_is_never_contacted(
    metadata_client: FhirClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[str] = []
    original = httpcore.AnyIOBackend.connect_tcp

    async def spy(self: Any, host: str, *args: Any, **kwargs: Any) -> Any:
        attempts.append(host)
        return await original(self, host, *args, **kwargs)

    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", spy)
    fetcher = metadata_client.fetcher(FhirBase.parse("https://ehr.example.org/fhir"), "token")
    with pytest.raises(FetchError) as failed:
        await fetcher.fetch("Patient/p1")
    assert failed.value.reason == NOT_PROVIDED
    assert "link-local" in failed.value.detail
    assert attempts == []  # no connection, no retry
