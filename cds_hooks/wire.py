"""Base model for CDS Hooks JSON: strict on input shape, silent about absent values on output.

The specification forbids ``null`` and empty optional values in JSON (CDS Hooks 2.0 "Use of
JSON"), so every wire model drops ``None`` and empty lists when it serialises. The few fields
that must survive even when empty (``cards: []``) say so through ``keep_empty``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    model_serializer,
)


class WireModel(BaseModel):
    """A CDS Hooks JSON object.

    Objects we build (responses) forbid unknown fields so that a typo fails a test; objects we
    receive override this to tolerate what real clients add (see ``request``).
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    keep_empty: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _drop_absent(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
        data = handler(self)
        if not isinstance(data, dict):
            return data
        return {
            key: value
            for key, value in data.items()
            if key in self.keep_empty or not (value is None or value == [] or value == {})
        }

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON object as the wire wants it: aliases, no nulls, no empty optionals."""
        dumped: dict[str, Any] = self.model_dump(mode="json", by_alias=True)
        return dumped
