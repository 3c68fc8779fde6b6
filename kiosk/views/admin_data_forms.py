"""The forms of the admin data pages (kiosk/views/admin_data.py): what each field accepts, with a
message in the interface's language next to the field when it does not.

Numbers and dates are text fields parsed here rather than WTForms' IntegerField/DateField, whose own
messages have no Indonesian translation; the services re-check everything they are given.
"""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, Field, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

MAX_PRICE = 1_000_000  # Rp/kg: far above any HET (about 2,000), below what the price column holds
MAX_PRICE_TEXT = "1.000.000"
DIGITS = re.compile(r"^[0-9]{1,16}$")
DIGIT_RUN = re.compile(r"[0-9]{8,}")  # a reason must not carry a NIK into the permanent audit log
REASON_MIN, REASON_MAX = 10, 200


def whole_number(field: Field) -> int | None:
    """The field's text as a whole number, or None (digits only: ``1.800`` is ambiguous between languages)."""
    text = (field.data or "").strip()
    return int(text) if DIGITS.match(text) else None


def iso_date(field: Field) -> date | None:
    try:
        return date.fromisoformat((field.data or "").strip())
    except ValueError:
        return None


def _required(message: object) -> DataRequired:
    return DataRequired(message=message)  # type: ignore[arg-type]


class StockReceiptForm(FlaskForm):
    kiosk = SelectField(_l("Kiosk"), validate_choice=False)
    product = SelectField(_l("Product"), validate_choice=False)
    kg = StringField(_l("Quantity received (kg)"), render_kw={"inputmode": "numeric", "autocomplete": "off"})
    delivery_order = StringField(_l("Delivery order (DO) number"), validators=[
        _required(_l("Enter the delivery order number.")), Length(max=64, message=_l("At most 64 characters."))],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})
    delivered_on = StringField(_l("Delivered on"), render_kw={"type": "date"})

    def validate_kg(self, field: Field) -> None:
        value = whole_number(field)
        if value is None or value <= 0:
            raise ValidationError(str(_l("Enter whole kilograms, more than 0 (digits only).")))

    def validate_delivered_on(self, field: Field) -> None:
        if iso_date(field) is None:
            raise ValidationError(str(_l("Enter the delivery date (YYYY-MM-DD).")))


class PriceForm(FlaskForm):
    product = SelectField(_l("Product"), validate_choice=False)
    price = StringField(_l("HET (Rp per kg)"), render_kw={"inputmode": "numeric", "autocomplete": "off"})
    not_for_sale = BooleanField(_l("Not for sale from that date"))
    effective_on = StringField(_l("In force from"), render_kw={"type": "date"})
    basis = StringField(_l("Basis (regulation or decision)"), validators=[
        _required(_l("Give the basis of the HET change (the regulation).")),
        Length(max=200, message=_l("At most 200 characters."))])

    def validate_price(self, field: Field) -> None:
        text = (field.data or "").strip()
        if self.not_for_sale.data:
            if text:
                raise ValidationError(str(_l("Leave the price empty when the product is not for sale.")))
            return
        value = whole_number(field)
        if value is None or not 0 < value <= MAX_PRICE:
            raise ValidationError(str(_l("Enter whole rupiah per kg, more than 0 and at most %(max)s (digits only).",
                                         max=MAX_PRICE_TEXT)))

    def validate_effective_on(self, field: Field) -> None:
        if iso_date(field) is None:
            raise ValidationError(str(_l("Enter the date the price takes effect (YYYY-MM-DD).")))


class RdkkForm(FlaskForm):
    season = SelectField(_l("Season"), validate_choice=False)
    rdkk_file = FileField(_l("RDKK file (CSV, UTF-8)"), render_kw={"accept": ".csv,text/csv"})
    check = SubmitField(_l("Check"))
    submit_import = SubmitField(_l("Import"))


class FindFarmerForm(FlaskForm):
    query = StringField(_l("NIK or pseudonym"), validators=[
        _required(_l("Enter a 16-digit NIK or a pseudonym (F-...)."))],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"})


class EraseForm(FlaskForm):
    reason = TextAreaField(_l("Reason for erasure"))
    confirm = BooleanField(_l("I understand that the name, NIK and birth date cannot be recovered afterwards."))

    def validate_reason(self, field: Field) -> None:
        text = " ".join((field.data or "").split())
        if not REASON_MIN <= len(text) <= REASON_MAX or not text.isprintable():
            raise ValidationError(str(_l("Give the reason in %(min)s to %(max)s characters.",
                                         min=REASON_MIN, max=REASON_MAX)))
        if DIGIT_RUN.search(text):
            raise ValidationError(str(_l("The reason must not contain a NIK or another long number.")))
        field.data = text

    def validate_confirm(self, field: Field) -> None:
        if not field.data:
            raise ValidationError(str(_l("Tick the box to confirm the erasure.")))
