"""Which addresses the FHIR client may connect to, checked after name resolution.

``service.fhir.servers`` decides which URLs may be fetched; a host name in one of them can
still resolve to an address inside the service's own network: a cloud metadata endpoint
(169.254.169.254), the pod network, a database, the service itself on loopback. So the FHIR
client resolves every name itself, refuses the connection when any address of the name is not
public (private, loopback, link-local, shared, reserved, multicast, unspecified), unless it lies
in ``BACLOFEN_CDS_FHIR_ALLOWED_NETWORKS``, and connects to the address it checked, so that a
second resolution cannot give another answer (DNS rebinding).

A host written as an IP address, or ``localhost``, is used as written: such a URL can only
have been allowed by the configuration (an issuer's ``fhir_servers``, the allow-list), or be
loopback in local development, where ``service.fhir.servers`` permits loopback only.

Proxy environment variables are not used by the FHIR client: through a proxy, the address
connected to would be the proxy's, and the policy could not be checked.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import httpcore
import httpx

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]


class AddressNotAllowed(httpcore.ConnectError):
    """The host resolved to an address the policy refuses; no connection was made."""


def literal_address(host: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


class AddressPolicy:
    def __init__(self, allowed_networks: Sequence[IpNetwork] = ()) -> None:
        self.allowed_networks = tuple(allowed_networks)

    def refusal(self, address: IpAddress) -> str | None:
        """Why the address must not be contacted (a kind, never the address), or None."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in self.allowed_networks):
            return None
        if address.is_loopback:
            return "loopback"
        if address.is_link_local:
            return "link-local (cloud metadata)"
        if address.is_multicast or address.is_unspecified or address.is_reserved:
            return "not a unicast address"
        if not address.is_global:
            return "private network"
        return None


async def system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to addresses the policy permits."""

    def __init__(
        self,
        policy: AddressPolicy,
        resolve: Resolver = system_resolve,
        backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.policy = policy
        self.resolve = resolve
        self.backend = backend or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if literal_address(host) is not None or host.lower() == "localhost":
            targets = [host]
        else:
            targets = await self._checked(host, port)
        failure: Exception = httpcore.ConnectError("no address to connect to")
        for target in targets:
            try:
                return await self.backend.connect_tcp(
                    target, port, timeout=timeout, local_address=local_address,
                    socket_options=socket_options,
                )  # fmt: skip
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        raise failure

    async def _checked(self, host: str, port: int) -> list[str]:
        try:
            addresses = await self.resolve(host, port)
        except OSError as error:
            raise httpcore.ConnectError("the host name could not be resolved") from error
        for text in addresses:
            address = literal_address(text)
            refusal = self.policy.refusal(address) if address is not None else "not an address"
            if refusal is not None:
                # One refused address refuses the name: a mixed answer is how rebinding starts.
                raise AddressNotAllowed(f"the host resolves to an address not allowed: {refusal}")
        if not addresses:
            raise httpcore.ConnectError("the host name resolved to no address")
        return addresses

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used")

    async def sleep(self, seconds: float) -> None:
        await self.backend.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over ``GuardedNetworkBackend``, without proxies from the environment."""

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        limits: httpx.Limits,
        resolve: Resolver = system_resolve,
    ) -> None:
        super().__init__(limits=limits, trust_env=False)
        # httpx has no parameter for the network backend: its pool is replaced by the same
        # pool (httpcore's public API) over the guarded backend.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=True),  # SSL_CERT_FILE: a private CA
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedNetworkBackend(policy, resolve),
        )
