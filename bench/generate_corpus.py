"""Generate a large, reproducible benchmark corpus of Dutch council-style documents.

The material is bench/sentences.txt (sentences written for the benchmark), recombined by a
seeded random generator into documents of realistic length (300-1500 words) with a title,
a meta block, headed sections, paragraphs and numbered or bulleted lists. Documents are
written by the path convention regiescan reads:

    bench/corpora/<n>/<gemeente>/<YYYY-MM-DD>_<slug>.<txt|md|html>

spread over the municipalities in corpora/reference/gemeenten_2025.csv. Document i depends
only on (seed, i), so the 10k corpus is the first 10k documents of the 50k corpus and two
runs with the same seed give byte-identical files. Every document carries its own
"Kenmerk" line (and random content), and the generator checks that no two texts are equal,
so ingest finds no duplicates.

    .venv/bin/python bench/generate_corpus.py 10000 [--seed 2025] [--out bench/corpora]

A corpus that already exists with the same parameters (bench/corpora/<n>.corpus.json, beside
its folder so that it is not one of the corpus's inputs) is not written again.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import html
import json
import random
import re
import shutil
import sys
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SENTENCES = BENCH / "sentences.txt"
GEMEENTEN = ROOT / "corpora" / "reference" / "gemeenten_2025.csv"
GENERATOR_VERSION = 1
DEFAULT_SEED = 2025

# Document kinds: (slug prefix, dominant-frame weights regie/netwerk/zelfstandig/geen, words range)
KINDS = [
    ("raadsvoorstel", (0.3, 0.3, 0.15, 0.25), (300, 900)),
    ("raadsinformatiebrief", (0.25, 0.25, 0.1, 0.4), (300, 700)),
    ("nota-verbonden-partijen", (0.6, 0.3, 0.05, 0.05), (700, 1500)),
    ("visie-op-samenwerking", (0.3, 0.5, 0.2, 0.0), (600, 1500)),
    ("coalitieakkoord", (0.3, 0.3, 0.3, 0.1), (800, 1500)),
    ("collegeprogramma", (0.3, 0.35, 0.25, 0.1), (700, 1400)),
    ("programmabegroting", (0.35, 0.25, 0.1, 0.3), (800, 1500)),
    ("jaarverslag", (0.3, 0.25, 0.1, 0.35), (700, 1500)),
    ("regionale-agenda", (0.2, 0.7, 0.05, 0.05), (500, 1200)),
    ("motie", (0.25, 0.25, 0.35, 0.15), (300, 500)),
    ("zienswijze-herindeling", (0.1, 0.2, 0.7, 0.0), (400, 1000)),
    ("evaluatie", (0.35, 0.35, 0.05, 0.25), (500, 1200)),
]
TOPICS = [
    "sociaal-domein", "jeugdhulp", "wmo", "energietransitie", "woningbouw", "afvalinzameling",
    "omgevingsdienst", "veiligheidsregio", "ggd", "werkbedrijf", "schuldhulpverlening",
    "mobiliteit", "economie", "recreatie", "onderwijshuisvesting", "cultuur", "sport",
    "grondbeleid", "klimaatadaptatie", "ondermijning", "digitalisering", "arbeidsmarkt",
]
THEMES = [
    "sociaal domein", "afvalbeleid", "jeugdhulpstelsel", "woonbeleid", "mobiliteitsbeleid",
    "klimaatbeleid", "armoedebeleid", "sportbeleid", "economisch beleid", "onderwijsbeleid",
    "cultuurbeleid", "veiligheidsbeleid", "grondbeleid", "beheer van de openbare ruimte",
]
PARTNERS = [
    "de woningcorporatie", "de GGD", "de omgevingsdienst", "het werkbedrijf", "de zorgaanbieders",
    "de provincie", "het waterschap", "de ondernemersvereniging", "de bibliotheek",
    "de welzijnsorganisatie", "het onderwijs", "de netbeheerder", "de zorgverzekeraar",
    "de veiligheidsregio", "de regionale uitvoeringsdienst", "de sportverenigingen",
]
REGIONS = [
    "regio Foodvalley", "Holland Rijnland", "de Metropoolregio", "Regio Twente", "de Achterhoek",
    "Noordoost-Brabant", "Zuid-Limburg", "Midden-Holland", "West-Friesland", "de Drechtsteden",
    "regio Rivierenland", "Noord-Veluwe", "de Kop van Noord-Holland", "regio Groningen-Assen",
]
SURNAMES = [
    "De Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "De Boer", "Mulder", "Bos",
    "Vos", "Peters", "Hendriks", "Van Leeuwen", "Dekker", "Brouwer", "De Wit", "Dijkstra",
    "Smits", "De Graaf", "Van der Meer", "Kok", "Jacobs", "Van den Berg", "Willems",
]
MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december"]
SECTIONS = ("regie", "netwerk", "zelfstandig", "neutraal", "kop", "lijst")
FRAMES = ("regie", "netwerk", "zelfstandig", None)
FORMATS = (("txt", 0.80), ("md", 0.12), ("html", 0.08))


def load_sentences(path: Path = SENTENCES) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {s: [] for s in SECTIONS}
    current = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"\[(\w+)\]", line)
        if match:
            current = match[1]
            if current not in groups:
                raise ValueError(f"{path}: unknown section [{current}]")
            continue
        if current is None:
            raise ValueError(f"{path}: sentence before the first [section]")
        groups[current].append(line)
    empty = [s for s, lines in groups.items() if not lines]
    if empty:
        raise ValueError(f"{path}: empty sections {empty}")
    return groups


def folder_slug(name: str) -> str:
    """'s-Hertogenbosch -> s-hertogenbosch, Bergen (NH.) -> bergen-nh (what the registry resolves)."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^0-9a-z]+", "-", text.lower()).strip("-")


def load_municipalities(path: Path = GEMEENTEN) -> list[tuple[str, str]]:
    """(name, folder) for every current municipality whose folder name regiescan resolves."""
    if str(ROOT) not in sys.path:
        sys.path.append(str(ROOT))  # appended: a snapshot or installed copy earlier on the path wins
    from flows.municipalities import UnknownMunicipality, default_registry

    registry = default_registry()
    out = []
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            folder = folder_slug(row["name"])
            try:
                if registry.resolve(folder).gm_code != row["gm_code"]:
                    continue
            except UnknownMunicipality:
                continue
            out.append((row["name"], folder))
    return out


@dataclass
class Document:
    folder: str
    filename: str
    text: str


class DocumentMaker:
    def __init__(self, seed: int, sentences: dict[str, list[str]], municipalities: list[tuple[str, str]]) -> None:
        self.seed = seed
        self.sentences = sentences
        self.municipalities = municipalities
        weights_rng = random.Random(f"{seed}:weights")
        # Larger municipalities publish more: a skewed but fixed share per municipality.
        self.weights = [weights_rng.lognormvariate(0, 0.8) for _ in municipalities]
        self.kind_weights = [1.0] * len(KINDS)

    def fill(self, rng: random.Random, sentence: str, gemeente: str, year: int) -> str:
        def value(match: re.Match[str]) -> str:
            key = match[1]
            if key == "gemeente":
                return gemeente
            if key == "jaar":
                return str(year + rng.randint(-2, 1))
            if key == "jaar2":
                return str(year + rng.randint(1, 4))
            if key == "bedrag":
                return f"{rng.randint(10, 9_900) * 1000:,}".replace(",", ".")
            if key == "pct":
                return str(rng.randint(2, 48))
            if key == "aantal":
                return str(rng.choice([rng.randint(2, 40), rng.randint(40, 900), rng.randint(900, 25_000)]))
            if key == "partner":
                return rng.choice(PARTNERS)
            if key == "thema":
                return rng.choice(THEMES)
            if key == "regio":
                return rng.choice(REGIONS)
            if key == "datum":
                return f"{rng.randint(1, 28)} {rng.choice(MONTHS)} {year}"
            if key == "wethouder":
                return rng.choice(SURNAMES)
            raise KeyError(key)

        return re.sub(r"\{(\w+)\}", value, sentence)

    def body_sentence(self, rng: random.Random, frame: str | None) -> str:
        roll = rng.random()
        if frame is not None and roll < 0.30:
            group = frame
        elif roll < 0.40:
            group = rng.choice(("regie", "netwerk", "zelfstandig"))
        else:
            group = "neutraal"
        return rng.choice(self.sentences[group])

    def make(self, index: int) -> Document:
        rng = random.Random(f"{self.seed}:{index}")
        name, folder = rng.choices(self.municipalities, weights=self.weights)[0]
        kind, frame_weights, (low, high) = rng.choices(KINDS, weights=self.kind_weights)[0]
        frame = rng.choices(FRAMES, weights=frame_weights)[0]
        date = dt.date(2010, 1, 1) + dt.timedelta(days=rng.randrange(16 * 365))
        year = date.year
        topic = rng.choice(TOPICS)
        target = rng.randint(low, high)
        fmt = rng.choices([f for f, _ in FORMATS], weights=[w for _, w in FORMATS])[0]
        title = f"{kind.replace('-', ' ').capitalize()} {topic.replace('-', ' ')} {year}"
        # blocks: ("h", text) | ("p", [sentences]) | ("ol"/"ul", [items])
        blocks: list[tuple[str, object]] = []
        words = 0
        headings = list(self.sentences["kop"])
        rng.shuffle(headings)
        section = 0
        while words < target:
            heading = self.fill(rng, headings[section % len(headings)], name, year)
            section += 1
            blocks.append(("h", f"{section}. {heading}" if fmt == "txt" and rng.random() < 0.6 else heading))
            for _ in range(rng.randint(1, 3)):
                if words >= target:
                    break
                if rng.random() < 0.18:
                    items = [self.fill(rng, rng.choice(self.sentences["lijst"]), name, year)
                             for _ in range(rng.randint(2, 6))]
                    lead = self.fill(rng, self.body_sentence(rng, frame), name, year)
                    blocks.append(("p", [lead.rstrip(".") + ":"]))
                    blocks.append(("ol" if rng.random() < 0.5 else "ul", items))
                    words += len(lead.split()) + sum(len(i.split()) for i in items)
                else:
                    paragraph = [self.fill(rng, self.body_sentence(rng, frame), name, year)
                                 for _ in range(rng.randint(2, 7))]
                    blocks.append(("p", paragraph))
                    words += sum(len(s.split()) for s in paragraph)
        reference = f"{rng.randint(1000, 9999)}/{year}/{index:06d}"
        meta = [f"Gemeente {name}", f"Datum: {date.day} {MONTHS[date.month - 1]} {year}", f"Kenmerk: {reference}"]
        text = render(fmt, title, meta, blocks, rng)
        filename = f"{date.isoformat()}_{kind}-{topic}-{index:06d}.{fmt}"
        return Document(folder, filename, text)


def _wrap(text: str, width: int) -> str:
    """Hard line breaks like text exported from a PDF (a paragraph wrapped at ~width chars)."""
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join(lines)


def render(fmt: str, title: str, meta: list[str], blocks: list[tuple[str, object]], rng: random.Random) -> str:
    if fmt == "html":
        parts = ["<!DOCTYPE html>", '<html lang="nl">', "<head>", '<meta charset="utf-8">',
                 f"<title>{html.escape(title)}</title>", "</head>", "<body>",
                 '<nav><a href="/">Home</a> <a href="/raad">Gemeenteraad</a></nav>', "<main>",
                 f"<h1>{html.escape(title)}</h1>", f"<p>{'<br>'.join(html.escape(m) for m in meta)}</p>"]
        for kind, content in blocks:
            if kind == "h":
                parts.append(f"<h2>{html.escape(str(content))}</h2>")
            elif kind == "p":
                parts.append(f"<p>{html.escape(' '.join(content))}</p>")  # type: ignore[arg-type]
            else:
                items = "".join(f"<li>{html.escape(i)}</li>" for i in content)  # type: ignore[union-attr]
                parts.append(f"<{kind}>{items}</{kind}>")
        parts += ["</main>", "<footer>Gemeente - alle rechten voorbehouden</footer>", "</body>", "</html>"]
        return "\n".join(parts) + "\n"
    if fmt == "md":
        parts = [f"# {title}", "", "*" + " · ".join(meta) + "*", ""]
        for kind, content in blocks:
            if kind == "h":
                parts += [f"## {content}", ""]
            elif kind == "p":
                parts += [" ".join(content), ""]  # type: ignore[arg-type]
            else:
                parts += [f"{k + 1}. {i}" if kind == "ol" else f"- {i}" for k, i in enumerate(content)]  # type: ignore[arg-type]
                parts.append("")
        return "\n".join(parts)
    wrapped = rng.random() < 0.5  # half of the .txt files look like PDF exports (wrapped lines)
    parts = [title.upper() if rng.random() < 0.3 else title, ""] + meta + ["", ""]
    for kind, content in blocks:
        if kind == "h":
            parts += ["", str(content), ""]
        elif kind == "p":
            paragraph = " ".join(content)  # type: ignore[arg-type]
            parts += [_wrap(paragraph, 78) if wrapped else paragraph, ""]
        else:
            marker = rng.choice(["-", "•", "*"])
            parts += [f"{k + 1}. {i}" if kind == "ol" else f"{marker} {i}" for k, i in enumerate(content)]  # type: ignore[arg-type]
            parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def params(n: int, seed: int) -> dict[str, object]:
    return {
        "n_documents": n, "seed": seed, "generator_version": GENERATOR_VERSION,
        "sentences_sha256": hashlib.sha256(SENTENCES.read_bytes()).hexdigest(),
    }


def generate(n: int, seed: int = DEFAULT_SEED, out: Path = BENCH / "corpora", force: bool = False,
             quiet: bool = False) -> Path:
    """Write the n-document corpus (if not already there with the same parameters); its folder."""
    target = out / str(n)
    stamp = stamp_of(target)
    wanted = params(n, seed)
    if not force and stamp.is_file():
        done = json.loads(stamp.read_text(encoding="utf-8"))
        if {k: done.get(k) for k in wanted} == wanted:
            return target
    stamp.unlink(missing_ok=True)
    if target.exists():
        shutil.rmtree(target)
    partial = out / f".{n}.partial"
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    maker = DocumentMaker(seed, load_sentences(), load_municipalities())
    seen: set[str] = set()
    made_dirs: set[str] = set()
    n_words = n_chars = 0
    formats: dict[str, int] = {}
    started = time.perf_counter()
    corpus_sha = hashlib.sha256()
    for index in range(n):
        doc = maker.make(index)
        digest = hashlib.sha256(doc.text.encode("utf-8")).hexdigest()
        if digest in seen:  # cannot happen (each text has its own Kenmerk), but check
            raise RuntimeError(f"document {index} duplicates an earlier one")
        seen.add(digest)
        corpus_sha.update(digest.encode())
        if doc.folder not in made_dirs:
            (partial / doc.folder).mkdir()
            made_dirs.add(doc.folder)
        (partial / doc.folder / doc.filename).write_text(doc.text, encoding="utf-8")
        n_words += len(doc.text.split())
        n_chars += len(doc.text)
        ext = doc.filename.rsplit(".", 1)[1]
        formats[ext] = formats.get(ext, 0) + 1
        if not quiet and (index + 1) % 5000 == 0:
            print(f"  {index + 1}/{n} documents", file=sys.stderr)
    info = {
        **wanted, "n_municipalities": len(made_dirs), "formats": formats, "words": n_words,
        "chars": n_chars, "mean_words": round(n_words / max(n, 1), 1),
        "content_sha256": corpus_sha.hexdigest(), "seconds": round(time.perf_counter() - started, 1),
    }
    partial.rename(target)
    stamp.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")  # last: its presence means complete
    return target


def stamp_of(corpus: Path) -> Path:
    """The corpus's parameters and statistics, beside its folder: a file inside it would be
    one more input of the runs (a hidden file is a rejection, not nothing)."""
    return corpus.parent / f"{corpus.name}.corpus.json"


def corpus_info(corpus: Path) -> dict:
    return json.loads(stamp_of(corpus).read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", help="number of documents, or several: 10000,50000")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=BENCH / "corpora")
    parser.add_argument("--force", action="store_true", help="write again even if present")
    args = parser.parse_args(argv)
    for size in (int(s) for s in args.sizes.split(",")):
        path = generate(size, args.seed, args.out, args.force)
        info = corpus_info(path)
        print(f"{path}: {info['n_documents']} documents, {info['n_municipalities']} municipalities, "
              f"{info['mean_words']} words/document, formats {info['formats']}")


if __name__ == "__main__":
    main()
