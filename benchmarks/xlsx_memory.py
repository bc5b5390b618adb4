"""Reading an .xlsx export at two sizes, each in a process of its own: seconds, rows/s and peak
RSS, for erp-sync's reader and, side by side, openpyxl's read-only mode, which it replaced.
Flat memory means the larger workbook peaks where the smaller one does.

    .venv/bin/python benchmarks/xlsx_memory.py --sizes 100000      # both readers, ~1 min
    .venv/bin/python benchmarks/xlsx_memory.py --sizes 1000000 --readers erp-sync

The workbooks are the suite's product export (benchmarks/exports.py), written once under the
system's temporary directory and reused.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl
from exports import product_export
from peak_memory import peak_rss_kb

from devkit.samples import product_rows
from erp_adapters.csv_files.reader import read_chunks


def workbook(rows: int) -> Path:
    folder = Path(tempfile.gettempdir()) / f"erp-sync-bench-xlsx-{rows}"
    if not folder.exists():  # written aside, then renamed: an interrupted run leaves no half workbook
        partial = folder.with_name(f"{folder.name}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        product_export(partial, product_rows(rows), kind="xlsx")
        partial.rename(folder)
    return folder / "products.xlsx"


def read(path: Path, batch: int, reader: str) -> None:
    """In the child: read every row, in batches as the import does, and report."""
    start = time.perf_counter()
    if reader == "openpyxl":
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        rows = sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True)) - 1  # less the header
        workbook.close()
    else:
        rows = sum(len(frame) for frame in read_chunks(path, batch))
    seconds = time.perf_counter() - start
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_rss_mb": peak_rss_kb() / 1024}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--batch", type=int, default=20_000)
    parser.add_argument("--readers", nargs="+", default=["erp-sync", "openpyxl"])
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--reader", default="erp-sync", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        read(args.child, args.batch, args.reader)
        return
    print("| reader | rows | read s | rows/s | peak RSS MB | workbook MB |")
    print("|---|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        path = workbook(size)
        for reader in args.readers:
            command = [sys.executable, __file__, "--child", str(path), "--batch", str(args.batch), "--reader", reader]
            got = json.loads(
                subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()[-1]
            )
            assert got["rows"] == size, got
            print(
                f"| {reader} | {size:,} | {got['seconds']:.1f} | {size / got['seconds']:,.0f} "
                f"| {got['peak_rss_mb']:,.0f} | {path.stat().st_size / 1e6:,.0f} |"
            )


if __name__ == "__main__":
    main()
