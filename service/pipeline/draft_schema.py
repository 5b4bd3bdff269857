"""A fast check that a draft resource is valid FHIR R4B, derived from fhir.resources' models.

Validating a draft MedicationRequest through its fhir.resources model builds every nested
model and runs their Python validators: about a third of a millisecond per order. This module
reads the same models once, at import, into a plain table of elements (JSON name, type, list
or not, required, choice group) and walks the draft's JSON against it.

The check is one-sided: ``clearly_valid`` answers True only for JSON it can show the model
would accept (known elements of the right JSON type, primitives matching the same or a
narrower pattern, required elements and choice groups satisfied). Anything else, from a
primitive extension (``_status``) to a leap second, answers False and the caller validates
with fhir.resources as before, so every refusal and its message are the library's own.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from fhir.resources.R4B import get_fhir_model_class
from fhir_core import constraints as fhir_constraints
from fhir_core.fhirabstractmodel import FHIRAbstractModel
from fhir_core.types import DateTime, Decimal, FhirBase, FhirElementOrResourceBase

__all__ = ["FAST_CHECKED_TYPES", "clearly_valid"]

# The resource types whose drafts are worth a fast path: what EHRs send in order-sign.
FAST_CHECKED_TYPES: Final = frozenset({"MedicationRequest"})

_MAX_TEXT: Final = 65_536  # longer strings go the slow way; nothing in a draft comes close
_INT32: Final = (-(2**31), 2**31 - 1)

# Narrower than, or the same as, fhir_core's patterns (pydantic searches them; these match
# the whole value): printable ASCII codes with single inner spaces, ids, URIs without spaces.
_CODE: Final = re.compile(r"[!-~]+(?: [!-~]+)*")
_ID: Final = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_URI: Final = re.compile(r"[!-~]+")
# A dateTime the standard library reads without loss: no leap second, at most microseconds.
_FULL_DATE_TIME: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}:[0-5]\d(?:\.\d{1,6})?(?:Z|[+\-]\d{2}:\d{2}))?"
)
_PARTIAL_DATE: Final = re.compile(r"\d{4}(?:-\d{2})?")


def _text(value: Any) -> bool:
    # fhir_core's string: at least one character that is not whitespace, for any definition of
    # whitespace the regex engine may use (Python's ``strip`` removes a superset of them).
    if type(value) is not str or len(value) > _MAX_TEXT or not value.strip():
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")  # a lone surrogate is not text
    except UnicodeEncodeError:
        return False
    return True


def _code(value: Any) -> bool:
    return type(value) is str and len(value) <= _MAX_TEXT and _CODE.fullmatch(value) is not None


def _id(value: Any) -> bool:
    return (
        type(value) is str
        and len(value) <= min(64, fhir_constraints.TYPES_ID_MAX_LENGTH or 64)
        and _ID.fullmatch(value) is not None
    )


def _uri(value: Any) -> bool:
    return type(value) is str and len(value) <= _MAX_TEXT and _URI.fullmatch(value) is not None


def _boolean(value: Any) -> bool:
    return type(value) is bool


def _decimal(value: Any) -> bool:
    # fhir_core checks the text of the JSON number against its pattern, exactly this.
    return type(value) in (int, float) and Decimal.pattern.fullmatch(str(value)) is not None


def _integer(low: int) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        return type(value) is int and low <= value <= _INT32[1]

    return check


def _date_time(value: Any) -> bool:
    if type(value) is not str or not DateTime.pattern.fullmatch(value):
        return False
    if _PARTIAL_DATE.fullmatch(value):
        return True
    full = _FULL_DATE_TIME.fullmatch(value)
    if full is None:
        return False
    year, month, day = (int(part) for part in full.groups())
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


_PRIMITIVES: Final[Mapping[str, Callable[[Any], bool]]] = {
    "string": _text,
    "markdown": _text,
    "code": _code,
    "id": _id,
    "uri": _uri,
    "canonical": _uri,
    "boolean": _boolean,
    "decimal": _decimal,
    "integer": _integer(_INT32[0]),
    "unsignedInt": _integer(0),
    "positiveInt": _integer(1),
    "dateTime": _date_time,
}


@dataclass(frozen=True, slots=True)
class _Element:
    check: Callable[[Any], bool] | None  # a primitive's check; None for a complex type
    fhir_type: type[FhirBase] | None  # the complex type, its model imported when first met
    is_list: bool


@dataclass(frozen=True, slots=True)
class _Shape:
    """What the fast path knows of one model: its elements by JSON name, what must be there."""

    elements: Mapping[str, _Element | None]  # None: an element this module does not check
    required: tuple[str, ...]
    choices: tuple[tuple[tuple[str, ...], bool], ...]  # (JSON names, one required)


def _without_none(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        present = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return present[0] if len(present) == 1 else None
    return annotation


def _element(annotation: Any) -> _Element | None:
    inner = _without_none(annotation)
    is_list = typing.get_origin(inner) is list
    if is_list:
        inner = _without_none(typing.get_args(inner)[0])
    if inner is bool:
        return _Element(_boolean, None, is_list)
    if typing.get_origin(inner) is typing.Annotated:
        names = [getattr(meta, "__visit_name__", None) for meta in inner.__metadata__]
        checks = [
            _PRIMITIVES[name] for name in names if isinstance(name, str) and name in _PRIMITIVES
        ]
        return _Element(checks[0], None, is_list) if len(checks) == 1 else None
    if (
        isinstance(inner, type)
        and issubclass(inner, FhirBase)
        and not issubclass(inner, FhirElementOrResourceBase)
    ):
        if inner._model_klass.endswith(".FHIRPrimitiveExtension"):
            return None  # a primitive's ``_element`` (id and extensions): the slow way
        return _Element(None, inner, is_list)
    return None


# Shapes are read from a model when a draft first reaches it, as fhir.resources imports its
# models: reading every type an Extension may hold up front would import dozens of modules.
# Two threads reading the same model at once store equal shapes.
_SHAPES: dict[type[FhirBase], _Shape] = {}


def _choice_required(model: type[FHIRAbstractModel], field: str) -> bool:
    extra = model.model_fields[field].json_schema_extra
    return isinstance(extra, dict) and extra.get("one_of_many_required") is True


def _shape(fhir_type: type[FhirBase]) -> _Shape:
    known = _SHAPES.get(fhir_type)
    if known is None:
        known = _SHAPES[fhir_type] = _model_shape(fhir_type.get_model_klass())
    return known


def _model_shape(model: type[FHIRAbstractModel]) -> _Shape:
    alias = {name: field.alias or name for name, field in model.model_fields.items()}
    elements = {
        alias[name]: _element(field.annotation) for name, field in model.model_fields.items()
    }
    instance = model.model_construct()
    required = {alias[name] for name, field in model.model_fields.items() if field.is_required()}
    required.update(alias.get(name, name) for name, _ in instance.get_required_fields())
    choices = tuple(
        (tuple(alias[name] for name in names), _choice_required(model, names[0]))
        for names in instance.get_one_of_many_fields().values()
    )
    return _Shape(elements, tuple(sorted(required)), choices)


def _clearly_valid_object(value: Any, shape: _Shape) -> bool:
    if type(value) is not dict or not value:
        return False
    elements = shape.elements
    for name, item in value.items():
        element = elements.get(name)
        if element is None or not _clearly_valid_value(item, element):
            return False
    for name in shape.required:
        if name not in value:
            return False
    for names, needed in shape.choices:
        present = sum(1 for name in names if name in value)
        if present > 1 or (needed and present == 0):
            return False
    return True


def _clearly_valid_value(value: Any, element: _Element) -> bool:
    if element.is_list:
        if type(value) is not list or not value:
            return False
        return all(_clearly_valid_single(item, element) for item in value)
    return _clearly_valid_single(value, element)


def _clearly_valid_single(value: Any, element: _Element) -> bool:
    if element.check is not None:
        return element.check(value)
    if element.fhir_type is None:
        return False  # not understood here: fhir.resources decides
    return _clearly_valid_object(value, _shape(element.fhir_type))


@functools.cache
def _root_shape(resource_type: str) -> _Shape:
    """The resource's shape with its ``resourceType``, which only a resource's root carries."""
    shape = _model_shape(get_fhir_model_class(resource_type))
    named = _Element(lambda value: value == resource_type, None, is_list=False)
    return _Shape({**shape.elements, "resourceType": named}, shape.required, shape.choices)


def clearly_valid(resource: Mapping[str, Any]) -> bool:
    """True when fhir.resources would accept ``resource``; False when it might not."""
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str) or resource_type not in FAST_CHECKED_TYPES:
        return False
    if type(resource) is not dict:
        return False
    return _clearly_valid_object(resource, _root_shape(resource_type))
