from flows.cache import AnalysisCache, analysis_fingerprint, cache_key
from nlp.pipeline import pipeline_identity


def test_key_changes_with_content_lexicon_model_and_analysis():
    base = cache_key("a" * 64, "1.0+aaaa", "m1", "p1")
    assert base == cache_key("a" * 64, "1.0+aaaa", "m1", "p1")
    assert base != cache_key("b" * 64, "1.0+aaaa", "m1", "p1")  # new text
    assert base != cache_key("a" * 64, "1.0+bbbb", "m1", "p1")  # edited lexicon: everything is re-analysed
    assert base != cache_key("a" * 64, "1.0+aaaa", "m2", "p1")  # retrained model
    assert base != cache_key("a" * 64, "1.0+aaaa", "m1", "p2")  # other analysis code or spaCy pipeline


def test_analysis_fingerprint_depends_on_the_spacy_pipeline(tmp_path):
    model = tmp_path / "my_model"
    model.mkdir()
    (model / "config.cfg").write_text("[nlp]\nlang = \"nl\"\n", encoding="utf-8")
    (model / "meta.json").write_text('{"lang": "nl", "name": "my_model", "version": "1.0.0"}', encoding="utf-8")
    blank = analysis_fingerprint("blank")
    assert blank == analysis_fingerprint("blank")
    assert len({blank, analysis_fingerprint(str(model)), analysis_fingerprint("nl_core_news_lg")}) == 3
    (model / "meta.json").write_text('{"lang": "nl", "name": "my_model", "version": "1.1.0"}', encoding="utf-8")
    assert "my_model 1.1.0" in pipeline_identity(str(model))  # a retrained pipeline is another pipeline


def test_round_trip_and_damaged_entries_are_misses(tmp_path):
    cache = AnalysisCache(tmp_path)
    key = cache_key("c" * 64, "v", "m", "p")
    assert cache.get(key) is None
    cache.put(key, {"cache_key": key, "stance": "netwerk"})
    assert cache.get(key) == {"cache_key": key, "stance": "netwerk"}
    path = next(tmp_path.rglob("*.json"))
    path.write_text("{not json", encoding="utf-8")
    assert cache.get(key) is None
    path.write_text('{"cache_key": "other"}', encoding="utf-8")
    assert cache.get(key) is None
    path.write_bytes(b"")  # what a crash can leave of an entry that was not fsynced
    assert cache.get(key) is None


def test_entries_are_shared_like_other_outputs_and_leave_no_temporary_files(tmp_path):
    import os
    import stat

    from flows.outputs import UMASK

    cache = AnalysisCache(tmp_path)
    key = cache_key("d" * 64, "v", "m", "p")
    cache.put(key, {"cache_key": key})
    (path,) = [p for p in tmp_path.rglob("*") if p.is_file()]  # no .tmp file left beside it
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~UMASK
    assert UMASK == os.umask(UMASK)  # read once at import, and still the process's umask
