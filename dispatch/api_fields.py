"""Request fields that read JSON as the schema describes it.

DRF's CharField turns a number into text (12 becomes "12"), so a body the schema calls invalid
(a number where it says string) would be taken. These take a JSON string only.
"""

from datetime import datetime

from django.db import models
from phonenumber_field.phonenumber import to_python
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings


class TextField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose text columns are TextFields."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: TextField,
        models.TextField: TextField,
    }


# Fields whose representation of a database value is the value itself (text, numbers, flags,
# choices, JSON, a slug or a method's answer read by the query). Any other field (dates and
# times, decimals, phone numbers, …) keeps its own to_representation.
_AS_READ = (
    serializers.CharField,
    serializers.IntegerField,
    serializers.BooleanField,
    serializers.ChoiceField,
    serializers.JSONField,
    serializers.SlugRelatedField,
    serializers.SerializerMethodField,
)


def _row_key(field) -> str:
    """The `values()` key a field reads: its source with `__`, a slug through its relation, a
    method field under its own name (the query annotates it: `row_annotations`)."""
    if isinstance(field, serializers.SerializerMethodField):
        return field.field_name
    key = field.source.replace(".", "__")
    if isinstance(field, serializers.SlugRelatedField):
        key = f"{key}__{field.slug_field}"
    return key


def _iso_datetime(field):
    """DRF's DateTimeField in ISO 8601, the current time zone asked once per list instead of
    once per value (the lists' most frequent field). Anything unusual keeps DRF's own."""
    fmt = getattr(field, "format", api_settings.DATETIME_FORMAT)
    if type(field) is not serializers.DateTimeField or hasattr(field, "timezone"):
        return field.to_representation
    if not isinstance(fmt, str) or fmt.lower() != ISO_8601:
        return field.to_representation
    zone = field.default_timezone()
    if zone is None:
        return field.to_representation

    def convert(value):
        if not isinstance(value, datetime) or value.tzinfo is None:
            return field.to_representation(value)
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return convert


def _phone_text(field):
    """A stored number (E.164) as the instance's field shows it (settings'
    PHONENUMBER_DEFAULT_FORMAT), not as stored."""

    def convert(value):
        return field.to_representation(to_python(value, region=field.region))

    return convert


def _converter(field):
    if isinstance(field, PhoneNumberField):  # a CharField, but not written as read
        return _phone_text(field)
    if isinstance(field, _AS_READ):
        return None
    if isinstance(field, serializers.DateTimeField):
        return _iso_datetime(field)
    return field.to_representation


class RowsMixin:
    """A list read as `values()` rows and written straight from them (issue 14, the API lists'
    throughput): no model instances, no attribute walk per field and row, the same fields and
    formats as the serializer gives an instance (tests compare both).

    `rows(queryset)` selects exactly the serializer's fields; `row_annotations` gives each
    SerializerMethodField the expression that computes it in the query; `row_computed` gives a
    field read from a model property the function of the row that answers it (the property
    itself, on an unsaved instance)."""

    row_annotations: dict = {}
    row_computed: dict = {}

    @classmethod
    def rows(cls, queryset):
        keys = cls.__dict__.get("_row_keys")
        if keys is None:  # the fields don't change: built once per class
            keys = [
                _row_key(field)
                for name, field in cls().fields.items()
                if not field.write_only and name not in cls.row_computed
            ]
            cls._row_keys = keys
        return queryset.annotate(**cls.row_annotations).values(*keys)

    def _row_plan(self):
        plan = getattr(self, "_plan", None)
        if plan is None:  # once per serializer: per list (the time zone is the request's)
            plan = self._plan = [
                (name, None, self.row_computed[name])
                if name in self.row_computed
                else (name, _row_key(field), _converter(field))
                for name, field in self.fields.items()
                if not field.write_only
            ]
        return plan

    def to_representation(self, instance):
        if not isinstance(instance, dict):
            return super().to_representation(instance)
        out = {}
        for name, key, convert in self._row_plan():
            if key is None:
                out[name] = convert(instance)
                continue
            value = instance[key]
            out[name] = value if convert is None or value is None else convert(value)
        return out
