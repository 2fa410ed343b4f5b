"""The GeoIP database is read in memory, and a new file the operator installs is read from the next request."""

from __future__ import annotations

import os
from pathlib import Path

from django.test import RequestFactory

from undersigned.core.network import network_country


def write_database(path: Path, country: str) -> None:
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet  # type: ignore[import-untyped]

    writer = MMDBWriter(ip_version=4, database_type="GeoLite2-Country")
    writer.insert_network(IPSet(["203.0.113.0/24"]), {"country": {"iso_code": country}})
    writer.to_db_file(str(path))


def test_a_replaced_geoip_database_is_read_without_a_restart(settings, tmp_path):
    database = tmp_path / "countries.mmdb"
    write_database(database, "DE")
    settings.GEOIP_DATABASE = database
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.7")
    assert network_country(request) == "DE"

    # Installed as operators do: written beside, then renamed over the old file.
    write_database(tmp_path / "new.mmdb", "FR")
    os.utime(tmp_path / "new.mmdb", ns=(0, database.stat().st_mtime_ns + 1_000_000_000))
    (tmp_path / "new.mmdb").replace(database)
    assert network_country(request) == "FR"
