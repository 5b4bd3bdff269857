"""The soak's traffic: kinds of call, how each is made, and the answers each may get.

Calls carry a JWT signed like the sandbox's (ES384) or Epic's (RS384) unless their kind is
``unauthenticated``. Every answer is also checked by the conformance checker.
"""

from __future__ import annotations

import copy
import itertools
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from service.pipeline.examples import Fixture
from tests.tokens import EPIC_ISS, SANDBOX_ISS, ec_key, epic_claims, rsa_key, sandbox_claims, sign

# Kinds of call and how often each is sent.
WEIGHTS = {
    "full": 30,  # every prefetch key filled
    "fetch": 15,  # only the Patient sent: the rest fetched from the FHIR server
    "fetch-all": 10,  # no prefetch: the Patient too is fetched
    "invalid": 12,  # malformed JSON, wrong hook, invalid FHIR, unknown service, too large
    "unauthenticated": 8,  # no token, an expired one, one for another endpoint
    "feedback": 15,  # outcomes of cards issued earlier in the run
    "bad-feedback": 3,
    "discovery": 5,
}
EXPECTED = {
    "full": {200},
    "fetch": {200},
    "fetch-all": {200, 412},  # 412 while the FHIR server is dead, and only then (see test)
    "invalid": {400, 404, 413},
    "unauthenticated": {401},
    "feedback": {200},
    "bad-feedback": {400},
    "discovery": {200},
}


def trusted_issuers(fhir_servers: list[str]) -> dict[str, Any]:
    """The two issuers with their public keys inline, allowed the FHIR server's spaces."""
    return {
        SANDBOX_ISS: {"jwks": ec_key().jwks(), "fhir_servers": fhir_servers},
        EPIC_ISS: {"jwks": rsa_key().jwks(), "fhir_servers": fhir_servers},
    }


@dataclass
class Call:
    kind: str
    method: str
    path: str
    content: bytes | None = None
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    feedback: list[dict[str, Any]] = field(default_factory=list)  # items sent, for the audit
    issuer: str = ""  # which EHR signed the call: feedback counts only from a card's own


@dataclass
class Traffic:
    """Makes calls; remembers the cards issued so that feedback can name them."""

    base_url: str
    examples: list[Fixture]
    spaces: dict[str, str]  # fixture key -> the FHIR base URL holding its data
    rng: random.Random
    issued: list[tuple[str, str, str]] = field(default_factory=list)  # (service, card, issuer)
    _instants: itertools.count[int] = field(default_factory=itertools.count)

    def bearer(self, path: str, issuer: str | None = None, **overrides: Any) -> dict[str, str]:
        """A token of ``issuer`` ("sandbox" or "epic"; one at random if None)."""
        return self.signed(path, issuer, **overrides)[1]

    def signed(
        self, path: str, issuer: str | None = None, **overrides: Any
    ) -> tuple[str, dict[str, str]]:
        aud = self.base_url + path
        issuer = issuer or ("sandbox" if self.rng.random() < 0.5 else "epic")
        if issuer == "sandbox":
            token = sign(sandbox_claims(aud, **overrides), ec_key())
        else:
            token = sign(epic_claims(aud, **overrides), rsa_key())
        return issuer, {"Authorization": f"Bearer {token}"}

    def next_call(self) -> Call:
        kinds, weights = zip(*WEIGHTS.items(), strict=True)
        kind = self.rng.choices(kinds, weights)[0]
        if kind in ("feedback", "bad-feedback") and not self.issued:
            kind = "full"
        call: Call = getattr(self, "_" + kind.replace("-", "_"))()
        return call

    def _hook(self, kind: str, prefetch: str) -> Call:
        example = self.rng.choice(self.examples)
        request = copy.deepcopy(example.request)
        request["hookInstance"] = str(uuid.uuid4())
        if prefetch != "all":
            request["fhirServer"] = self.spaces[example.key]
            kept = {"patient"} if prefetch == "patient" else set()
            request["prefetch"] = {k: v for k, v in request["prefetch"].items() if k in kept}
        path = f"/cds-services/{example.service}"
        issuer, headers = self.signed(path)
        return Call(kind, "POST", path, json=request, headers=headers, issuer=issuer)

    def _full(self) -> Call:
        return self._hook("full", "all")

    def _fetch(self) -> Call:
        return self._hook("fetch", "patient")

    def _fetch_all(self) -> Call:
        return self._hook("fetch-all", "none")

    def _invalid(self) -> Call:
        call = self._full()
        call.kind = "invalid"
        body = call.json
        choice = self.rng.randrange(6)
        if choice == 0:
            call.json, call.content = None, b'{"hook": "order-sign", "context": '
        elif choice == 1:
            body["hook"] = "medication-prescribe"
        elif choice == 3 and "draftOrders" in body["context"]:  # patient-view has none
            body["context"]["draftOrders"] = {"resourceType": "Bundle", "entry": [{"x": 1}]}
        elif choice in (2, 3):
            body["context"].pop("patientId")
        elif choice == 4:
            call.path = "/cds-services/no-such-service"
            call.headers = self.bearer(call.path)
        else:
            # Refused on its Content-Length, before a byte of it is read.
            call.json, call.content = None, b" " * (5 * 1024 * 1024 + 1)
        return call

    def _unauthenticated(self) -> Call:
        call = self._full()
        call.kind = "unauthenticated"
        choice = self.rng.randrange(3)
        if choice == 0:
            call.headers = {}
        elif choice == 1:
            call.headers = self.bearer(call.path, exp=1, iat=0)
        else:
            call.headers = self.bearer("/cds-services/some-other-service")
        return call

    def _item(self, card: str) -> dict[str, Any]:
        # A distinct instant per item, so that every item sent is a row of its own.
        n = next(self._instants)
        at = f"2026-11-23T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}.{n:06d}Z"
        item: dict[str, Any] = {"card": card, "outcomeTimestamp": at}
        if self.rng.random() < 0.5:
            item |= {"outcome": "accepted", "acceptedSuggestions": [{"id": str(uuid.uuid4())}]}
        else:
            reason = {"code": "already-tolerated", "system": "urn:example", "display": "Tolerated"}
            item |= {"outcome": "overridden", "overrideReason": {"reason": reason}}
        return item

    def _feedback(self) -> Call:
        # As an EHR reports: on cards it was issued (another EHR's feedback would not count).
        service, _, issuer = self.rng.choice(self.issued)
        own = [card for _, card, by in self.issued if by == issuer]
        cards = self.rng.sample(own, min(3, len(own)))
        items = [self._item(card) for card in cards]
        if self.rng.random() < 0.2:
            items.append(copy.deepcopy(items[0]))  # delivered twice in one call: stored once
        path = f"/cds-services/{service}/feedback"
        return Call(
            "feedback", "POST", path, json={"feedback": items},
            headers=self.bearer(path, issuer), feedback=items, issuer=issuer,
        )  # fmt: skip

    def _bad_feedback(self) -> Call:
        call = self._feedback()
        call.kind, call.feedback = "bad-feedback", []
        call.json["feedback"][0]["outcome"] = "ignored"
        return call

    def _discovery(self) -> Call:
        return Call("discovery", "GET", "/cds-services")
