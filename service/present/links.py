"""The links cards carry, and the key that signs the printable schedule links.

Cards link to pages of the service that issued them (a rule's knowledge page, a printable
schedule); where those live is the serving side's to say, through ``Links``.

``BACLOFEN_CDS_LINK_KEYS`` holds one key or several (comma-separated): the first signs new
links, every one verifies, so a key is rotated by adding the new one after the old, everywhere,
then moving it first, and removing the old one once its links no longer matter (links do not
expire: a link signed by a removed key stops working).

Without the setting, links are signed with a random key made at start: they work on this
process only and until it stops. That suits a single local process (the quick start); with
several workers or replicas a link would fail on every process but the one that made it, so
``serve`` refuses to start without keys when authentication is on or several workers serve.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Protocol

from service.present.schedule_codec import LinkSigner, PrintableSchedule, encode
from service.settings import Settings

__all__ = ["Links", "ServiceLinks", "link_signer_for"]

log = logging.getLogger("baclofen_cds.links")

EPHEMERAL_KEY_BYTES = 32


class Links(Protocol):
    """Where the pages a card links to are found."""

    def rule_page(self, rule: str) -> str:
        """The page of a rule in the knowledge (a card's ``source.url``)."""
        ...

    def printable_schedule(self, printable: PrintableSchedule) -> str | None:
        """The printable page of a suggested schedule (None: no such page is offered)."""
        ...


@dataclass(frozen=True)
class ServiceLinks:
    """The pages of this service at its public base URL; schedule links signed with its key
    (no signer: no schedule links)."""

    base_url: str
    signer: LinkSigner | None = None

    def rule_page(self, rule: str) -> str:
        return f"{self.base_url.rstrip('/')}/knowledge/rules/{rule}"

    def printable_schedule(self, printable: PrintableSchedule) -> str | None:
        if self.signer is None:
            return None
        return f"{self.base_url.rstrip('/')}/schedules/view?" + encode(printable, self.signer)


def link_signer_for(settings: Settings) -> LinkSigner:
    if settings.link_keys:
        return LinkSigner([key.get_secret_value().encode() for key in settings.link_keys])
    # INFO, not a warning: serve refuses the configurations where this would break links, and
    # `baclofen-cds evaluate` would print it on every run.
    log.info(
        "BACLOFEN_CDS_LINK_KEYS is not set: schedule links are signed with a key of this "
        "process and stop working when it restarts (set it whenever more than one process serves)"
    )
    return LinkSigner([secrets.token_bytes(EPHEMERAL_KEY_BYTES)])
