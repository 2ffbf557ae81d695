#!/usr/bin/env python3
"""Render a ``pytrans bench --json`` file as the Markdown tables the README shows.

    python tools/bench_markdown.py docs/bench-full-arm32.json

One row per (workload, guest arch): wall times of native, qemu-user and each pytrans backend,
each backend's ratio to qemu-user, and JIT against Unicorn when both ran; then the geometric
means per arch and runner from the file's summary, and the machine line.
"""
from __future__ import annotations

import argparse
import json
import math


def _ms(r: dict | None) -> str:
    return "-" if not r or r.get("seconds") is None else f"{r['seconds'] * 1e3:.1f}"


def _ratio(a: dict | None, b: dict | None) -> str:
    if not a or not b or a.get("seconds") is None or not b.get("seconds"):
        return "-"
    return f"{a['seconds'] / b['seconds']:.2f}x"


def render(data: dict) -> str:
    rows: dict[tuple[str, str], dict[str, dict]] = {}
    order: list[tuple[str, str]] = []
    native: dict[str, dict] = {}
    for r in data["results"]:
        if r["runner"] == "native":
            native[r["workload"]] = r
            continue
        key = (r["workload"], r["arch"])
        if key not in rows:
            rows[key] = {}
            order.append(key)
        rows[key][r["runner"]] = r
    backends = [b for b in ("pytrans-jit", "pytrans-unicorn")
                if any(b in v for v in rows.values())]
    head = ["workload", "guest", "native ms", "qemu-user ms"]
    head += [f"{b[8:]} ms" for b in backends] + [f"{b[8:]} / qemu" for b in backends]
    both = len(backends) == 2
    if both:
        head.append("unicorn / jit")
    out = ["| " + " | ".join(head) + " |",
           "| --- | --- | " + " | ".join("---:" for _ in head[2:]) + " |"]
    for w, arch in order:
        rs = rows[(w, arch)]
        q = rs.get("qemu-user")
        cells = [w, arch, _ms(native.get(w)), _ms(q)]
        cells += [_ms(rs.get(b)) for b in backends]
        cells += [_ratio(rs.get(b), q) for b in backends]
        if both:
            cells.append(_ratio(rs.get("pytrans-unicorn"), rs.get("pytrans-jit")))
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    for key, s in data["summary"].items():
        arch, runner = key.split("/")
        if runner == "qemu-user" or not s.get("workloads"):
            continue                  # (the JIT has no AArch64 rows)
        q = s.get("geomean_vs_qemu")
        qs = f", {q:.2f}x qemu-user" if q and math.isfinite(q) else ""
        out.append(f"- geometric mean, {arch}, {runner}: {s['geomean_vs_native']:.1f}x native{qs}"
                   f" ({s['workloads']} workloads)")
    m = data["machine"]
    out.append("")
    out.append(f"Measured {m['date']} on {m['cpu']} ({m['cores']} cores), Python {m['python']}, "
               f"{m['qemu']}, Unicorn {m['unicorn']}.")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json_file")
    print(render(json.load(open(ap.parse_args().json_file))))


if __name__ == "__main__":
    main()
