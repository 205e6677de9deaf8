"""API throttling: DRF's scoped throttle, per signed-in user and scope (settings.REST_FRAMEWORK).

Every API view names a `throttle_scope` (tests/security/test_throttling.py holds them to it).
DRF reads the rates once, when its module is imported; this one reads them on each request, so
a deployment's (or a test's) settings are the ones in force.
"""

from rest_framework import throttling
from rest_framework.settings import api_settings


class ScopedRateThrottle(throttling.ScopedRateThrottle):
    @property
    def THROTTLE_RATES(self):  # noqa: N802 (DRF's attribute name)
        return api_settings.DEFAULT_THROTTLE_RATES
