"""Form fields that refuse hostile values as form errors instead of letting them reach the database."""

from __future__ import annotations

from typing import Any

from django import forms

from .query_values import strict_int


class ModelIdsField(forms.ModelMultipleChoiceField):
    """A choice of several objects by id, refusing an id that is not a plain integer in the database's range.

    Django's field passes the submitted values to an ``__in`` query; on SQLite an id of 20 digits raised
    OverflowError there, an HTTP 500 (found by tests/fuzz on the exam form's proctors).
    """

    def clean(self, value: Any) -> Any:
        for pk in value if isinstance(value, (list, tuple)) else ():
            if strict_int(str(pk)) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super().clean(value)
