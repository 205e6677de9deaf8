"""Request fields that read JSON as the schema describes it.

DRF's CharField turns a number into text (12 becomes "12"), so a body the schema calls invalid
(a number where it says string) would be taken. These take a JSON string only.
"""

from django.db import models
from rest_framework import serializers


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
