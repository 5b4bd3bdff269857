"""The key that signs the printable schedule links (``service.present.schedule_codec``).

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

from service.present.schedule_codec import LinkSigner
from service.settings import Settings

log = logging.getLogger("baclofen_cds.links")

EPHEMERAL_KEY_BYTES = 32


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
