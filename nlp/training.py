"""`regiescan train`: fit the stance model on corpora/annotations/ and write it with its card."""

from __future__ import annotations

from pathlib import Path

from nlp.analyser import Analyser
from nlp.annotations import ANNOTATIONS_DIR, read_annotations, training_files
from nlp.classifier import MODEL_DIR, ModelSettings, StanceModel, save_model, train
from nlp.features import feature_names


def train_from_annotations(
    annotations_dir: Path = ANNOTATIONS_DIR, model_dir: Path = MODEL_DIR, settings: ModelSettings = ModelSettings()
) -> StanceModel:
    files = training_files(annotations_dir)
    records = [r for f in files for r in read_annotations(f)]
    analyser = Analyser(with_model=False)
    # Each annotated passage is one unit, however the splitter cuts it.
    analysed = list(analyser.analyse([r.text for r in records], whole=True))
    units = [a.units[0] for a in analysed]
    model = train(
        units, [r.stance for r in records], feature_names(analyser.lexicon), analyser.lexicon_version,
        settings, sources=[f.name for f in files],
    )
    save_model(model, model_dir)
    return model
