"""Benchmark classification speed and memory on the CPU, per model tier, in one run.

Each tier runs in its own process (so its peak memory is its own): it loads the saved model
from models/<name>/ (rules needs none), classifies N passages of a run folder in batches
and reports passages/s and peak RSS. Each pass reads N passages no other pass has read (the
encoder memoises embeddings by text, so a repeated text would cost nothing). The first pass
(cold caches: the cue index's word memo, lazy imports) is shown apart; passages/s is the
median of the passes after it, since timings on a shared VM vary by ±30% from one pass to
the next. Model load is shown apart too.

    python scripts/bench_classify.py [--run runs/default] [--n 2000] [--repeat 3] [--jobs 1] [--explain]

`--explain` times classification with the reasons behind every tagged element, as
`ddlens run` and `ddlens classify` give by default (`--no-explain` skips them).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def child(name: str, run: Path, n: int, repeat: int, jobs: int, explain: bool) -> None:
    import random

    from pipeline.classify import classify_texts
    from pipeline.config import Settings
    from pipeline.io import read_passages
    from pipeline.train import load_model

    passages = read_passages(run / "passages.parquet")
    random.Random(13).shuffle(passages)
    passages = passages[: n * (1 + repeat)]
    if len(passages) < n * (1 + repeat):
        raise SystemExit(f"{run}: {len(passages)} passages, fewer than {1 + repeat} passes of {n}")
    started = time.perf_counter()
    model = load_model(name, Settings().models)
    model.predict_proba(["Member States shall ensure that entities notify incidents."])  # warm-up: lazy loading
    loaded = time.perf_counter() - started
    passes = []
    for k in range(1 + repeat):
        batch = passages[k * n : (k + 1) * n]
        started = time.perf_counter()
        classify_texts([p.id for p in batch], [p.text for p in batch], model, name, jobs=jobs,
                       headings=[p.heading for p in batch], explain=explain)
        passes.append(time.perf_counter() - started)
    hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM")).split()[1]
    print(json.dumps({"model": name, "n": n, "first_s": passes[0], "seconds": statistics.median(passes[1:]),
                      "load_s": loaded, "peak_mib": int(hwm) / 1024}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, default=ROOT / "runs" / "default")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3, help="timed passes after the first")
    parser.add_argument("--jobs", type=int, default=1,
                        help="worker processes, as `ddlens classify --jobs` (peak memory is then the parent's)")
    parser.add_argument("--models", nargs="*", default=["rules", "linear", "encoder", "hybrid"])
    parser.add_argument("--explain", action="store_true", help="give each tagged element its reasons, as `ddlens run` does")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.run, args.n, max(1, args.repeat), args.jobs, args.explain)
        return
    if not (args.run / "passages.parquet").is_file():
        raise SystemExit(f"{args.run}: no passages.parquet; run `ddlens ingest --out {args.run}` first")
    import os

    print(f"{args.n} passages per pass from {args.run}, {os.cpu_count()} CPUs, {args.jobs} job(s)"
          + (", with explanations" if args.explain else ""))
    for name in args.models:
        proc = subprocess.run([sys.executable, __file__, "--child", name, "--run", str(args.run), "--n", str(args.n),
                               "--repeat", str(args.repeat), "--jobs", str(args.jobs)] + ["--explain"] * args.explain,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"  {name:8s} failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"  {name:8s} {r['n'] / r['seconds']:9.1f} passages/s   first pass {r['n'] / r['first_s']:9.1f}/s   "
              f"load {r['load_s']:5.1f}s   peak {r['peak_mib']:7.1f} MiB")


if __name__ == "__main__":
    main()
