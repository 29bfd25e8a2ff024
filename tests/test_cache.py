from flows.cache import AnalysisCache, cache_key


def test_key_changes_with_content_lexicon_and_model():
    base = cache_key("a" * 64, "1.0+aaaa", "m1")
    assert base == cache_key("a" * 64, "1.0+aaaa", "m1")
    assert base != cache_key("b" * 64, "1.0+aaaa", "m1")  # new text
    assert base != cache_key("a" * 64, "1.0+bbbb", "m1")  # edited lexicon: everything is re-analysed
    assert base != cache_key("a" * 64, "1.0+aaaa", "m2")  # retrained model


def test_round_trip_and_damaged_entries_are_misses(tmp_path):
    cache = AnalysisCache(tmp_path)
    key = cache_key("c" * 64, "v", "m")
    assert cache.get(key) is None
    cache.put(key, {"cache_key": key, "stance": "netwerk"})
    assert cache.get(key) == {"cache_key": key, "stance": "netwerk"}
    path = next(tmp_path.rglob("*.json"))
    path.write_text("{not json", encoding="utf-8")
    assert cache.get(key) is None
    path.write_text('{"cache_key": "other"}', encoding="utf-8")
    assert cache.get(key) is None
