"""The URL conf a TANDEM_BENCH=1 server gets (tandem.urls decides at import time)."""

from django.urls import path

from tandem.core import bench
from tandem.urls import urlpatterns as site

urlpatterns = [
    path(bench.BENCH_PATH, bench.hello, name="bench_hello"),
    path(bench.SIGNED_IN_PATH, bench.signed_in, name="bench_signed_in"),
    *site,
]
