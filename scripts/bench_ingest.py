"""Benchmark ingest speed and memory on the corpus PDFs, in one run.

Times raw pdfplumber `extract_text`, raw pypdfium2 text extraction and `ddlens ingest` (a
whole process, start-up included; with one worker and with the default workers) over the
same PDFs, and prints pages/s for each with the ratios. Then ingests the smallest and the
largest PDF alone and prints each process's peak memory, to show that memory does not grow
with page count.

    python scripts/bench_ingest.py [--files DIR] [--plumber-pages N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.config import Settings  # noqa: E402
from pipeline.corpus import load_manifest  # noqa: E402


def pdf_files(folder: Path) -> list[Path]:
    entries = load_manifest(Settings().manifest)
    return [folder / e.filename for e in entries if e.format == "pdf" and (folder / e.filename).is_file()]


def raw_pdfplumber(paths: list[Path], max_pages: int | None) -> tuple[int, float]:
    import pdfplumber

    pages, started = 0, time.perf_counter()
    for path in paths:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages[:max_pages]:
                page.extract_text()
                page.flush_cache()
                pages += 1
    return pages, time.perf_counter() - started


def raw_pdfium(paths: list[Path]) -> tuple[int, float, list[float]]:
    import pypdfium2 as pdfium

    pages, started, per_doc = 0, time.perf_counter(), []
    for path in paths:
        doc_start = time.perf_counter()
        pdf = pdfium.PdfDocument(str(path))
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            textpage.get_text_range()
            textpage.close()
            page.close()
        per_doc.append(len(pdf) / (time.perf_counter() - doc_start))
        pages += len(pdf)
        pdf.close()
    return pages, time.perf_counter() - started, per_doc


# Runs the CLI, then reports the process's own high-water RSS from /proc (VmHWM). The
# rusage of a child is no good here: Linux carries the parent's size across fork into it.
_CHILD = (
    "import sys\n"
    "from pipeline.cli import app\n"
    "try:\n    app(sys.argv[1:])\n"
    "except SystemExit as exit_:\n    code = exit_.code\n"
    "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
    "sys.stdout.write(hwm)\nsys.exit(code)\n"
)


def ddlens_process(paths: list[Path], jobs: int) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of one `ddlens ingest` process over the files."""
    out = Path(tempfile.mkdtemp(prefix="ddlens-bench-"))
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, "ingest", *map(str, paths), "--out", str(out), "--jobs", str(jobs)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
    )
    seconds = time.perf_counter() - started
    shutil.rmtree(out, ignore_errors=True)
    if proc.returncode != 0:
        raise SystemExit(f"ddlens ingest failed on {paths}")
    return seconds, int(proc.stdout.strip() or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=Path, default=Settings().corpus_files)
    parser.add_argument("--plumber-pages", type=int, default=None,
                        help="Read at most N pages of each PDF with raw pdfplumber (it is slow).")
    args = parser.parse_args()
    paths = pdf_files(args.files)
    if not paths:
        raise SystemExit(f"no corpus PDFs in {args.files}: run `ddlens corpus fetch` first")

    n_pages, pdfium_s, per_doc = raw_pdfium(paths)
    plumber_pages, plumber_s = raw_pdfplumber(paths, args.plumber_pages)
    one_s, one_rss = ddlens_process(paths, jobs=1)
    jobs = min(4, os.cpu_count() or 1)
    many_s, _ = ddlens_process(paths, jobs=jobs)

    rates = {
        "raw pdfplumber extract_text": plumber_pages / plumber_s,
        "raw pypdfium2 get_text_range": n_pages / pdfium_s,
        "ddlens ingest --jobs 1 (whole process)": n_pages / one_s,
        f"ddlens ingest --jobs {jobs} (whole process)": n_pages / many_s,
    }
    print(f"{len(paths)} PDFs, {n_pages} pages ({plumber_pages} read by pdfplumber), {os.cpu_count()} CPUs")
    for name, rate in rates.items():
        print(f"  {name:45s} {rate:8.1f} pages/s")
    print(f"  raw pypdfium2 per document: median {statistics.median(per_doc):.0f}, "
          f"min {min(per_doc):.0f}, max {max(per_doc):.0f} pages/s")
    plumber, pdfium = rates["raw pdfplumber extract_text"], rates["raw pypdfium2 get_text_range"]
    for name in list(rates)[2:]:
        print(f"  {name}: {rates[name] / plumber:.1f}x raw pdfplumber, {rates[name] / pdfium:.2f}x raw pypdfium2")

    import pypdfium2 as pdfium

    sized = sorted(paths, key=lambda p: len(pdfium.PdfDocument(str(p))))
    print("peak memory of `ddlens ingest FILE --jobs 1` (whole process):")
    for path in (sized[0], sized[len(sized) // 2], sized[-1]):
        seconds, rss = ddlens_process([path], jobs=1)
        print(f"  {path.name:60s} {len(pdfium.PdfDocument(str(path))):4d} pages  {rss / 1024:6.1f} MiB  {seconds:5.2f}s")
    print(f"  all {len(paths)} PDFs in one process (--jobs 1): {one_rss / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
