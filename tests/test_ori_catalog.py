"""Municipality -> ORI Classic source keys, through the registry (aliases, merged names)."""

from __future__ import annotations

import pytest

from flows.municipalities import REFERENCE_DIR
from flows.sources.ori_catalog import NoOriSource, default_catalog


def keys(name: str) -> list[str]:
    return [entry.key for entry in default_catalog().lookup(name)]


def test_utrecht_has_one_source_with_its_alias():
    (entry,) = default_catalog().lookup("Utrecht")
    assert (entry.key, entry.index_alias, entry.gm_code) == ("utrecht", "ori_utrecht", "GM0344")
    assert entry.municipality == "Utrecht" and not entry.merged


@pytest.mark.parametrize("name", ["gemeente Utrecht", "UTRECHT", "GM0344"])
def test_spellings_the_registry_resolves_work(name):
    assert keys(name) == ["utrecht"]


def test_merged_municipality_gets_its_own_legacy_source():
    (entry,) = default_catalog().lookup("Beemster")
    assert entry.key == "beemster" and entry.merged
    assert entry.municipality == "Beemster"  # documents stay attributed to Beemster ...
    assert entry.current_gm_code == "GM0439"  # ... and count towards Purmerend


def test_successor_includes_the_sources_of_municipalities_merged_into_it():
    assert keys("Purmerend") == ["purmerend", "beemster"]
    assert keys("Land van Cuijk") == ["boxmeer", "cuijk", "grave", "mill_en_st_hubert", "sint_anthonis"]
    assert keys("Amsterdam")[0] == "amsterdam" and "amsterdam_noord" in keys("Amsterdam") and "weesp" in keys("Amsterdam")


def test_merged_municipality_without_an_ori_source_falls_back_to_its_successor():
    assert keys("Haarlemmerliede en Spaarnwoude") == ["haarlemmermeer"]


def test_quirks_of_the_source_list_are_handled():
    assert keys("Dordrecht") == ["dordrecht"]  # no cbs_id in the list
    assert keys("Borger-Odoorn") == ["borger-odoorn"]  # code written "gm1681"
    assert keys("Den Bosch") == ["den_bosch"]  # informal alias


def test_unknown_municipality_is_a_clear_error_naming_it():
    with pytest.raises(NoOriSource, match="Atlantis") as caught:
        default_catalog().lookup("Atlantis")
    assert caught.value.municipality == "Atlantis"


def test_municipality_without_ori_source_is_a_clear_error_naming_it():
    with pytest.raises(NoOriSource, match=r"'Kampen' \(Kampen, GM0166\) has no Open Raadsinformatie source"):
        default_catalog().lookup("Kampen")


def test_lookup_all_lists_each_source_once_in_request_order():
    entries = default_catalog().lookup_all(["Beemster", "Purmerend", "Utrecht"])
    assert [e.key for e in entries] == ["beemster", "purmerend", "utrecht"]


def test_every_municipal_source_is_attributed_to_a_2025_municipality():
    catalog = default_catalog()
    assert len(catalog.entries) == 309  # all municipality rows of the list
    assert all(e.current_gm_code in catalog.registry.names_by_code for e in catalog.entries)
    assert all(e.index_alias == f"ori_{e.key}" for e in catalog.entries)


def test_catalog_file_is_an_unchanged_copy_of_the_shared_reference(shared_dir):
    shared = shared_dir / "reference" / "ori" / "ori_classic_sources.csv"
    assert (REFERENCE_DIR / "ori_classic_sources.csv").read_bytes() == shared.read_bytes()
