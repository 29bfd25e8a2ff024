import pytest

from flows.municipalities import MunicipalityRegistry, UnknownMunicipality, normalise_name


@pytest.fixture(scope="module")
def registry() -> MunicipalityRegistry:
    return MunicipalityRegistry()


@pytest.mark.parametrize(
    "name", ["Den Bosch", "'s-Hertogenbosch", "Gemeente 's-Hertogenbosch", "den-bosch", "s-hertogenbosch", "GM0796"]
)
def test_den_bosch_aliases_resolve_to_gm0796(registry, name):
    found = registry.resolve(name)
    assert (found.gm_code, found.name, found.merged) == ("GM0796", "'s-Hertogenbosch", False)


def test_merged_municipality_maps_to_successor_keeping_original_name(registry):
    found = registry.resolve("Hellevoetsluis")
    assert found.gm_code == "GM1992"
    assert found.name == "Voorne aan Zee"
    assert found.original_name == "Hellevoetsluis"
    assert found.merged is True


def test_merger_chain_is_followed_to_2025(registry):
    # Adorp -> Winsum (1990) -> Het Hogeland (2019)
    assert registry.resolve("Adorp").name == "Het Hogeland"


def test_province_qualified_names_accept_the_plain_name(registry):
    assert registry.resolve("Laren").gm_code == "GM0417"
    assert registry.resolve("Laren (NH.)").gm_code == "GM0417"


def test_ambiguous_and_unknown_names_are_errors_naming_the_value(registry):
    with pytest.raises(UnknownMunicipality, match="dubbelzinnig.*'Bergen'"):
        registry.resolve("Bergen")
    with pytest.raises(UnknownMunicipality, match="onbekende gemeente.*'Atlantis'"):
        registry.resolve("Atlantis")
    with pytest.raises(UnknownMunicipality):
        registry.resolve("")


def test_normalise_name_strips_accents_prefix_and_punctuation():
    assert normalise_name("Gemeente Súdwest-Fryslân") == "sudwest fryslan"
    assert normalise_name("  's-Hertogenbosch ") == "s hertogenbosch"
