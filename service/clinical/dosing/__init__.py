"""Recognising baclofen and working out the daily dose an order gives."""

from service.clinical.dosing.daily_dose import DoseKind, DoseStep, OrderDose, Route, order_dose
from service.clinical.dosing.products import Form, Product, recognise

__all__ = [
    "DoseKind",
    "DoseStep",
    "Form",
    "OrderDose",
    "Product",
    "Route",
    "order_dose",
    "recognise",
]
