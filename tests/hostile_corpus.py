"""A corpus of hostile inputs, built with real libraries (fpdf2, python-docx) into a folder.

`build(root)` writes the corpus and returns the cases: each relative path (as the run
reports it in `ref`) with the outcome it must get. The session fixture `hostile_run`
(tests/conftest.py) runs `regiescan run` over it once; tests/test_hostile_inputs.py checks
every case and tests/test_crash_safety.py kills and reruns a run on the same corpus.
bench/fuzz_readers.py takes seed files from here too.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import struct
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

# Dutch council prose, long enough for the language check (which judges 30+ words).
DUTCH = (
    "De gemeente voert de regie over de uitvoering van de taken in het sociale domein. "
    "Het college van burgemeester en wethouders stelt de raad voor om de samenwerking met de "
    "buurgemeenten in de regio voort te zetten en de gemeenschappelijke regeling te herzien. "
    "Wij zijn van mening dat de gemeente zelf verantwoordelijk blijft voor de resultaten, "
    "ook wanneer de uitvoering bij een verbonden partij ligt. De raad wordt twee keer per jaar "
    "geïnformeerd over de voortgang en over de financiële gevolgen voor de begroting."
)
DUTCH_LATIN1 = (
    "Wij blijven een zelfstandige gemeente. Het coöperatieve model met één ambtelijke organisatie "
    "heeft niet de voorkeur van de raad. De financiële positie van de gemeente is gezond en de "
    "dienstverlening aan de inwoners is goed op orde. Daarom kiest het college ervoor om de eigen "
    "organisatie te versterken en alleen samen te werken waar dat voor de inwoners echt beter is."
)
ENGLISH = (
    "The municipality is responsible for the delivery of social services in the region. "
    "This report describes how the council and its partners have worked together over the past "
    "year and which of the agreed results have been achieved. We believe that the current "
    "arrangements should be reviewed before the end of the year, and that the council should "
    "be informed about the financial consequences of any changes that are proposed."
)
GERMAN = (
    "Die Gemeinde ist für die Erbringung der sozialen Dienstleistungen in der Region zuständig. "
    "Dieser Bericht beschreibt, wie der Rat und seine Partner im vergangenen Jahr zusammengearbeitet "
    "haben und welche der vereinbarten Ergebnisse erreicht wurden. Wir sind der Meinung, dass die "
    "bestehenden Vereinbarungen noch vor Ende des Jahres überprüft werden sollten, und dass der Rat "
    "über die finanziellen Folgen aller vorgeschlagenen Änderungen informiert wird."
)
SCRIPT_MARKER = "XSSMARKER"  # appears only inside scripts, styles and other removed markup

# A file name full of characters that break naive tools: quotes, emoji, a right-to-left
# override, a zero-width space and a newline.
ODD_NAME = "2020-05-05_notitie \"aanhalingstekens\" 'regie' \U0001F600 \u202eksir\u202c\u200b\nnieuwe regel.txt"
ODD_TITLE = "Notitie \"aanhalingstekens\" 'regie' \U0001F600 ksir nieuwe regel"
# Markup that would run if a report put document text, titles or names into HTML unescaped.
INJECTED_NAME = "<svg onload=alert(1)> & <b>vet"
INJECTED_TITLE = "Nota over regie <img src=x onerror=alert(2)>"
INJECTED_TEXT = "<script>alert('regie')</script> <a href=\"javascript:alert(3)\">klik</a> </textarea></script>"
INJECTIONS = ("<svg onload", "<img src=x", "<script>alert", '<a href="javascript:', "<b>vet", "</textarea>")
BAD_BYTES_NAME = b"2020-06-06_memo-\xff\xfe-latin.txt"  # not valid UTF-8: Linux allows any bytes


@dataclass(frozen=True)
class Case:
    what: str  # the hostile case, as listed in the reliability issue
    ref: str  # the reference the run gives it
    outcome: str  # "analysed", "duplicate" or "rejected"
    reason_code: str | None = None
    reason_contains: str | None = None

    @property
    def needs_permissions(self) -> bool:
        """chmod 000 only stops a process without CAP_DAC_OVERRIDE (root has it)."""
        return "chmod 000" in self.what


@dataclass
class HostileRun:
    result: subprocess.CompletedProcess[str]
    root: Path  # holds the corpus, the outputs, the config and the Prefect home
    corpus: Path
    out: Path
    config: Path
    cases: list[Case]
    prefix: tuple[str, ...] | None  # the command prefix used; None: permissions could not be enforced

    @property
    def permissions_work(self) -> bool:
        return self.prefix is not None

    @property
    def checked_cases(self) -> list[Case]:
        return [c for c in self.cases if self.permissions_work or not c.needs_permissions]


def restore_permissions(corpus: Path) -> None:
    """Undo the chmod 000 cases, so the temporary folder can be removed."""
    for ref in ("deventer/afgeschermd", "deventer/2020-02-02_geheim.txt"):
        if (corpus / ref).exists():
            (corpus / ref).chmod(0o755)


def _pdf(text: str | None = None, draw: bool = False, image: bool = False, password: str | None = None) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    if text:
        pdf.set_font("helvetica", size=11)
        pdf.multi_cell(0, 6, text)
    if draw:  # vector graphics only: lines and boxes, no text operators
        pdf.set_line_width(0.5)
        for k in range(10):
            pdf.rect(20 + 5 * k, 30 + 5 * k, 100, 20)
            pdf.line(10, 100 + 10 * k, 200, 110 + 10 * k)
    if image:  # a "scan": text drawn as pixels in a picture, no text layer
        from PIL import Image, ImageDraw

        picture = Image.new("L", (600, 200), 255)
        ImageDraw.Draw(picture).text((20, 80), "De gemeente voert de regie.", fill=0)
        buffer = io.BytesIO()
        picture.save(buffer, format="PNG")
        buffer.seek(0)
        pdf.image(buffer, x=10, y=10, w=180)
    if password:
        pdf.set_encryption(owner_password="eigenaar", user_password=password)
    return bytes(pdf.output())


def _docx(text: str) -> bytes:
    import docx

    document = docx.Document()
    for paragraph in text.split(". "):
        document.add_paragraph(paragraph.rstrip(".") + ".")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def claim_huge_sizes(data: bytes, claimed: int = 3 * 1024**3) -> bytes:
    """Rewrite a zip's central directory so every member claims `claimed` bytes unpacked.

    The compressed data stays the same: this is what a zip bomb's header looks like to a
    reader that trusts it (python-docx and zipfile read sizes from the central directory).
    """
    out = bytearray(data)
    signature = b"PK\x01\x02"
    position = out.find(signature)
    while position != -1:
        # Central directory file header: uncompressed size is the 4-byte field at offset 24.
        struct.pack_into("<I", out, position + 24, min(claimed, 0xFFFFFFFE))
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", out, position + 28)
        position = out.find(signature, position + 46 + name_len + extra_len + comment_len)
    return bytes(out)


def build(root: Path, large_mb: int = 50, sample: Path | None = None, sample_folders: tuple[str, ...] = ()) -> list[Case]:
    """Write the hostile corpus under root; return every case with its expected outcome.

    With `sample`, those of its folders are copied in as well (under sample/), every
    document expected to be analysed: good documents beside the hostile ones, and enough
    of them for analysis to take a while.
    """
    cases: list[Case] = []
    if sample is not None:
        for folder in sample_folders:
            shutil.copytree(sample / folder, root / "sample" / folder)
        for path in sorted((root / "sample").rglob("*")):
            if path.is_file() and path.name != "manifest.csv":
                cases.append(Case("sample document", path.relative_to(root).as_posix(), "analysed"))

    def write(ref: str, data: bytes | str, encoding: str = "utf-8") -> Path:
        path = root / ref
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode(encoding) if isinstance(data, str) else data)
        return path

    def analysed(what: str, ref: str) -> None:
        cases.append(Case(what, ref, "analysed"))

    def rejected(what: str, ref: str, code: str, contains: str | None = None) -> None:
        cases.append(Case(what, ref, "rejected", code, contains))

    # Good documents beside the hostile ones: they must come through untouched.
    write("den-bosch/2019-05-01_raadsvoorstel-regie.txt", "Raadsvoorstel regie\n\n" + DUTCH)
    analysed("good Dutch text", "den-bosch/2019-05-01_raadsvoorstel-regie.txt")
    write("den-bosch/2019-05-02_raadsvoorstel-pdf.pdf", _pdf(DUTCH.replace("ï", "i").replace("ë", "e")))
    analysed("good Dutch PDF", "den-bosch/2019-05-02_raadsvoorstel-pdf.pdf")
    write("den-bosch/2019-05-03_notitie-docx.docx", _docx(DUTCH + " Dit is de DOCX-versie."))
    analysed("good Dutch DOCX", "den-bosch/2019-05-03_notitie-docx.docx")

    # Encodings that are readable must be read, not rejected.
    write("helmond/2020-03-03_visie-utf16.txt", "Visie op samenwerking\n\n" + DUTCH + " (UTF-16)", "utf-16")
    analysed("UTF-16 text with BOM", "helmond/2020-03-03_visie-utf16.txt")
    write("helmond/2020-03-04_visie-utf16le.txt", "Visie zonder BOM\n\n" + DUTCH + " (UTF-16LE)", "utf-16-le")
    analysed("UTF-16LE text without BOM", "helmond/2020-03-04_visie-utf16le.txt")
    write("hellevoetsluis/2018-02-01_coalitieakkoord-latin1.txt", DUTCH_LATIN1, "latin-1")
    analysed("Latin-1 text", "hellevoetsluis/2018-02-01_coalitieakkoord-latin1.txt")

    # HTML full of scripts and styles: analysed, with none of the script text.
    m = SCRIPT_MARKER
    html = f"""<!doctype html><html><head><title>Raadsinformatiebrief scripts</title>
<style>body {{ content: "{m} style"; }}</style>
<script>var secret = "{m} head script"; document.write("{m}");</script>
<script type="application/ld+json">{{"name": "{m} json-ld"}}</script></head>
<body onload="alert('{m} onload')">
<noscript>{m} noscript</noscript><template><p>{m} template</p></template>
<svg><text>{m} svg</text><script>{m} svg script</script></svg>
<!-- {m} comment -->
<p>{DUTCH}</p>
<script>/*<![CDATA[*/ var x = "{m} cdata"; /*]]>*/</script>
<p style="color: red" onclick="steal('{m}')">Wij werken samen in de regio.</p>
<iframe srcdoc="<p>{m} iframe</p>"></iframe><style>@import url("{m}.css");</style>
<form><input value="{m} form"></form>
</body></html>"""
    write("laren/2021-01-01_raadsinformatiebrief-scripts.html", html)
    analysed("HTML full of scripts and styles", "laren/2021-01-01_raadsinformatiebrief-scripts.html")

    # Odd characters in a file name: quotes, emoji, RTL override, zero-width space, newline.
    write(f"ermelo/{ODD_NAME}", DUTCH + " Over de notitie met een vreemde naam.")
    analysed("file name with quotes, emoji, RTL mark and newline", f"ermelo/{ODD_NAME}")
    (root / "ermelo").mkdir(exist_ok=True)
    (root / "ermelo").joinpath(os.fsdecode(BAD_BYTES_NAME)).write_text(
        DUTCH + " Een memo met een bestandsnaam die geen UTF-8 is.", encoding="utf-8")
    analysed("file name that is not valid UTF-8", "ermelo/" + BAD_BYTES_NAME.decode("utf-8", "backslashreplace"))

    # Markup and script in a document's text, title and name: analysed as text, escaped in the report.
    write(f"ermelo/2020-07-07_{INJECTED_NAME}.txt",
          f"{INJECTED_TITLE}\n\nDe gemeente voert de regie. {INJECTED_TEXT} Wij werken samen in het netwerk. " + DUTCH)
    analysed("HTML and script in a text document, its title and its name", f"ermelo/2020-07-07_{INJECTED_NAME}.txt")
    write(f"vaals/2020-07-08_{INJECTED_NAME}.exe", b"MZ")
    rejected("HTML in the name of a rejected file", f"vaals/2020-07-08_{INJECTED_NAME}.exe", "unsupported_format",
             "wordt niet ondersteund")

    # Duplicates: the same text under another name and in another format.
    write("den-bosch/2019-06-01_kopie-raadsvoorstel.md", "Raadsvoorstel regie\n\n" + DUTCH)
    cases.append(Case("duplicate (same text, other name)", "den-bosch/2019-06-01_kopie-raadsvoorstel.md", "duplicate"))
    write("den-bosch/2019-06-02_kopie-crlf.txt", ("Raadsvoorstel regie\n\n" + DUTCH).replace("\n", "\r\n"))
    cases.append(Case("duplicate (same text, CRLF line ends)", "den-bosch/2019-06-02_kopie-crlf.txt", "duplicate"))

    # PDFs: corrupt, password-protected, without a text layer.
    good_pdf = _pdf("Kapotte nota. " + DUTCH)
    write("venlo/2020-01-01_nota-kapot.pdf", good_pdf[: len(good_pdf) // 3] + random.Random(1).randbytes(2000))
    rejected("corrupt PDF", "venlo/2020-01-01_nota-kapot.pdf", "corrupt", "PDF onleesbaar of beschadigd")
    write("venlo/2020-01-02_nota-geen-pdf.pdf", b"%PDF-1.7\n" + b"dit is geen pdf\n" * 50)
    rejected("PDF with a header and nothing else", "venlo/2020-01-02_nota-geen-pdf.pdf", "corrupt", "PDF onleesbaar of beschadigd")
    write("venlo/2020-02-02_nota-wachtwoord.pdf", _pdf("Geheime nota. " + DUTCH, password="geheim"))
    rejected("password-protected PDF", "venlo/2020-02-02_nota-wachtwoord.pdf", "encrypted", "PDF met wachtwoord beveiligd")
    write("venlo/2020-03-03_scan.pdf", _pdf(image=True))
    rejected("PDF without text layer (image only)", "venlo/2020-03-03_scan.pdf", "no_text_layer", "geen tekstlaag: OCR nodig")
    write("venlo/2020-03-04_tekening.pdf", _pdf(draw=True))
    rejected("PDF without text layer (vector only)", "venlo/2020-03-04_tekening.pdf", "no_text_layer", "geen tekstlaag: OCR nodig")

    # Plain-text hazards.
    write("vaals/2020-01-01_leeg.txt", b"")
    rejected("zero-byte file", "vaals/2020-01-01_leeg.txt", "empty", "leeg bestand (0 bytes)")
    write("vaals/2020-01-02_witruimte.txt", " \n\t\r\n\u00a0\u200b\n" * 100)
    rejected("only white space", "vaals/2020-01-02_witruimte.txt", "empty", "geen tekst in het document")
    write("vaals/2020-02-02_binair.txt", random.Random(2).randbytes(64 * 1024))
    rejected("binary data named .txt", "vaals/2020-02-02_binair.txt", "binary_content", "binaire inhoud")
    no_nul = bytes(b for b in random.Random(3).randbytes(64 * 1024) if b)
    write("vaals/2020-02-03_binair-zonder-nul.txt", no_nul)
    rejected("binary data without NUL bytes named .txt", "vaals/2020-02-03_binair-zonder-nul.txt", "binary_content", "binaire inhoud")
    large = root / "vaals/2020-03-03_groot.txt"
    with open(large, "wb") as f:
        line = ("Dit is een heel groot tekstdocument over regie en samenwerking. " * 16 + "\n").encode()
        for _ in range(large_mb * 1024 * 1024 // len(line) + 1):
            f.write(line)
    rejected(f"{large_mb} MB text document", "vaals/2020-03-03_groot.txt", "too_large", "ingest.max_text_chars")
    long_text = "\n\n".join([DUTCH] * (1_100_000 // len(DUTCH) + 1))  # over spaCy's default limit, under ours
    write("vaals/2020-03-04_lang.txt", long_text)
    analysed("text longer than spaCy's default limit (1,000,000 characters)", "vaals/2020-03-04_lang.txt")
    write("vaals/2020-04-04_programma.exe", b"MZ\x90\x00" + random.Random(4).randbytes(1000))
    rejected("unsupported format", "vaals/2020-04-04_programma.exe", "unsupported_format", "wordt niet ondersteund")

    # Zip containers: a DOCX whose central directory claims gigabytes, a DOCX that is no zip.
    write("deventer/2020-01-01_bom.docx", claim_huge_sizes(_docx(DUTCH)))
    rejected("DOCX claiming a huge uncompressed size", "deventer/2020-01-01_bom.docx", "zip_bomb", "zip-bom")
    write("deventer/2020-01-02_kapot.docx", b"PK\x03\x04" + random.Random(5).randbytes(3000))
    rejected("corrupt DOCX", "deventer/2020-01-02_kapot.docx", "corrupt", "geen geldig zip-bestand")

    # Files the reader must never open or must not be able to read.
    secret = write("deventer/2020-02-02_geheim.txt", DUTCH + " Geheim.")
    secret.chmod(0)
    rejected("unreadable file (chmod 000)", "deventer/2020-02-02_geheim.txt", "unreadable", "geen leesrechten")
    locked = root / "deventer/afgeschermd"
    locked.mkdir()
    (locked / "2020-02-03_in-afgeschermde-map.txt").write_text(DUTCH, encoding="utf-8")
    locked.chmod(0)
    rejected("unreadable folder (chmod 000)", "deventer/afgeschermd", "unreadable", "map niet leesbaar (geen leesrechten)")
    os.mkfifo(root / "deventer/2020-03-03_pijp.txt")
    rejected("named pipe (FIFO) named .txt", "deventer/2020-03-03_pijp.txt", "not_regular_file", "geen gewoon bestand")

    # Symbolic links: a loop, a way out of the corpus, a dangling one, a linked folder.
    (root / "amersfoort").mkdir(exist_ok=True)
    os.symlink("2020-01-02_lus-b.txt", root / "amersfoort/2020-01-01_lus-a.txt")
    os.symlink("2020-01-01_lus-a.txt", root / "amersfoort/2020-01-02_lus-b.txt")
    rejected("symlink loop (a -> b)", "amersfoort/2020-01-01_lus-a.txt", "symlink_loop", "lus")
    rejected("symlink loop (b -> a)", "amersfoort/2020-01-02_lus-b.txt", "symlink_loop", "lus")
    outside = root.parent / f"{root.name}-buiten"
    outside.mkdir(exist_ok=True)
    (outside / "geheim.txt").write_text(DUTCH + " Buiten de corpusmap.", encoding="utf-8")
    os.symlink(outside / "geheim.txt", root / "amersfoort/2020-02-02_buiten.txt")
    rejected("symlink to a file outside the corpus", "amersfoort/2020-02-02_buiten.txt", "unsafe_path", "buiten de corpusmap")
    os.symlink("/dev/zero", root / "amersfoort/2020-02-03_nul.txt")
    rejected("symlink to /dev/zero", "amersfoort/2020-02-03_nul.txt", "unsafe_path", "buiten de corpusmap")
    os.symlink("bestaat-niet.txt", root / "amersfoort/2020-02-04_dood.txt")
    rejected("dangling symlink", "amersfoort/2020-02-04_dood.txt", "broken_symlink", "niet bestaat")
    os.symlink(outside, root / "amersfoort/gekoppelde-map")
    rejected("symlink to a folder", "amersfoort/gekoppelde-map", "symlinked_folder", "niet gevolgd")

    # Documents that are not Dutch: rejected at analysis by the language check.
    write("zutphen/2020-01-01_report-english.txt", ENGLISH)
    rejected("English document", "zutphen/2020-01-01_report-english.txt", "not_dutch", "niet Nederlands (lijkt Engels)")
    write("zutphen/2020-01-02_bericht-deutsch.txt", GERMAN)
    rejected("German document", "zutphen/2020-01-02_bericht-deutsch.txt", "not_dutch", "niet Nederlands (lijkt Duits)")

    # A manifest with rows that point out of the corpus, to missing files, and a bad date.
    manifest_dir = root / "aangeleverd"
    manifest_dir.mkdir(exist_ok=True)
    (manifest_dir / "Brief aan de raad.txt").write_text(DUTCH + " Aangeleverd met een manifest.", encoding="utf-8")
    (manifest_dir / "Brief met foute datum.txt").write_text(DUTCH + " Met een foute datum.", encoding="utf-8")
    rows = [
        "file,municipality,date,doc_type,title,source_url",
        "Brief aan de raad.txt,Gemeente Helmond,2023-04-11,raadsinformatiebrief,Brief aan de raad,https://example.nl/brief",
        "Brief met foute datum.txt,Helmond,11-04-2023,raadsinformatiebrief,Foute datum,",
        "../../../../etc/passwd,Helmond,2023-01-01,overig,Wachtwoorden,",
        "/etc/hostname,Helmond,2023-01-01,overig,Absoluut pad,",
        "../den-bosch/2019-05-01_raadsvoorstel-regie.txt,Helmond,2023-01-01,overig,Buurmap,",
        "ontbreekt.pdf,Helmond,2023-01-01,overig,Ontbreekt,",
    ]
    (manifest_dir / "manifest.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    analysed("document described by a manifest", "aangeleverd/Brief aan de raad.txt")
    rejected("manifest row with a bad date", "aangeleverd/Brief met foute datum.txt", "bad_date", "ongeldige datum")
    rejected("manifest row ../../../../etc/passwd", "aangeleverd/../../../../etc/passwd", "unsafe_path", "buiten de corpusmap")
    rejected("manifest row with an absolute path", "aangeleverd//etc/hostname", "unsafe_path", "buiten de corpusmap")
    rejected("manifest row ../ to another corpus folder", "aangeleverd/../den-bosch/2019-05-01_raadsvoorstel-regie.txt",
             "manifest_bad_path", "alleen een bestandsnaam")
    rejected("manifest row for a missing file", "aangeleverd/ontbreekt.pdf", "manifest_missing_file", "niet in deze map")

    # A JSON-lines manifest with a NUL byte in a file name (valid JSON, invalid path).
    jsonl_dir = root / "aangeleverd-jsonl"
    jsonl_dir.mkdir(exist_ok=True)
    (jsonl_dir / "manifest.jsonl").write_text(
        '{"file": "nul\\u0000byte.txt", "municipality": "Helmond", "date": "2023-01-01"}\n', encoding="utf-8")
    rejected("manifest row with a NUL byte in the file name", "aangeleverd-jsonl/nul\x00byte.txt", "manifest_bad_path",
             "alleen een bestandsnaam")

    # A malformed manifest: its folder's documents fall back to the path convention.
    broken = root / "aangeleverd-kapot"
    broken.mkdir(exist_ok=True)
    (broken / "manifest.jsonl").write_text('{"file": "brief.txt", "municipality": "Helmond"\nnog meer rommel\n',
                                           encoding="utf-8")
    (broken / "brief.txt").write_text(DUTCH, encoding="utf-8")
    rejected("malformed manifest (bad JSON)", "aangeleverd-kapot/manifest.jsonl", "manifest_invalid", "geen geldige JSON")
    rejected("document whose manifest is malformed", "aangeleverd-kapot/brief.txt", "missing_metadata", "geen metadata")
    broken_csv = root / "aangeleverd-kapot-csv"
    broken_csv.mkdir(exist_ok=True)
    (broken_csv / "manifest.csv").write_text("bestand;gemeente\nbrief.txt;Helmond\n", encoding="utf-8")
    rejected("malformed manifest (no file column)", "aangeleverd-kapot-csv/manifest.csv", "manifest_invalid", "kolom 'file' ontbreekt")
    return cases
