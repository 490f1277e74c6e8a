"""Totals, ratios, validator agreement, and the markdown / JSON / plot files of an IFEval run.

`rows` are the per-prompt records `bench.ifeval.run` builds: ``{"key", "instruction_ids",
"arms": {arm: {..., "score": official Score, "code_verdicts": [...]}}}``.

>>> ratio(0.5, 0.25), ratio(1.0, 0.0)
(2.0, None)
"""

from __future__ import annotations

import html
import json
import statistics
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ACCURACY = ("prompt_strict", "prompt_loose", "instruction_strict", "instruction_loose")
COSTS = ("tokens", "calls", "wall_seconds")
COLORS = {
    "single": "#d62728", "select": "#ff7f0e", "repair": "#9467bd", "codeplan": "#1f77b4",
    "sequential": "#2ca02c", "oracle": "#7f7f7f",
}  # fmt: skip


def ratio(a: float | None, b: float | None) -> float | None:
    """a / b, or None when b is zero or either is missing."""
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 4)


def totals(rows: Sequence[dict[str, Any]], arms: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per arm: the four official accuracies, and total and per-prompt tokens, calls, wall."""
    out: dict[str, dict[str, Any]] = {}
    for arm in arms:
        outcomes = [row["arms"][arm] for row in rows if arm in row["arms"]]
        if not outcomes:
            continue
        scores = [o["score"] for o in outcomes]
        strict = [v for s in scores for v in s["instruction_strict"]]
        loose = [v for s in scores for v in s["instruction_loose"]]
        n = len(outcomes)
        arm_totals: dict[str, Any] = {
            "prompts": n,
            "prompt_strict": round(sum(s["prompt_strict"] for s in scores) / n, 4),
            "prompt_loose": round(sum(s["prompt_loose"] for s in scores) / n, 4),
            "instruction_strict": round(sum(strict) / len(strict), 4) if strict else None,
            "instruction_loose": round(sum(loose) / len(loose), 4) if loose else None,
            "crashed": sum(o["status"] == "crashed" for o in outcomes),
        }
        for cost in COSTS:
            total = sum(o[cost] for o in outcomes)
            arm_totals[cost] = round(total, 3)
            arm_totals[f"{cost}_per_prompt"] = round(total / n, 3)
        out[arm] = arm_totals
    return out


def ratios(arm_totals: dict[str, dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """codeplan / every other arm, for every accuracy and cost figure."""
    out: dict[str, dict[str, float | None]] = {}
    if "codeplan" not in arm_totals:
        return out
    mine = arm_totals["codeplan"]
    for other, theirs in arm_totals.items():
        if other != "codeplan":
            out[f"codeplan/{other}"] = {k: ratio(mine[k], theirs[k]) for k in ACCURACY + COSTS}
    return out


def median_wall_ratios(rows: Sequence[dict[str, Any]]) -> dict[str, float | None]:
    """Per other arm, the median over prompts of codeplan's wall time / that arm's: less
    swayed than the totals by the few prompts where codeplan spends its whole budget."""
    out: dict[str, float | None] = {}
    arms = {a for row in rows for a in row["arms"]} - {"codeplan"}
    for other in sorted(arms):
        per_prompt = [
            ratio(row["arms"]["codeplan"]["wall_seconds"], row["arms"][other]["wall_seconds"])
            for row in rows
            if "codeplan" in row["arms"] and other in row["arms"]
        ]
        known = [r for r in per_prompt if r is not None]
        out[f"codeplan/{other}"] = round(statistics.median(known), 4) if known else None
    return out


def satisfied(rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """How the codeplan arm's outputs met their requirements: generated, repaired, fixed..."""
    counts: dict[str, int] = {}
    for row in rows:
        outcome = row["arms"].get("codeplan") or {}
        for how in (outcome.get("extra") or {}).get("how", {}).values():
            counts[how] = counts.get(how, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def agreement(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per instruction id, over every arm's outputs: codeplan's code check vs official strict.

    `judged` counts instructions codeplan leaves to a model judge (no code verdict to compare).
    `false_pass` is codeplan passing what the official verifier fails; `false_fail` the reverse.
    """
    stats: dict[str, dict[str, int]] = defaultdict(
        lambda: {"compared": 0, "agree": 0, "false_pass": 0, "false_fail": 0, "judged": 0}
    )
    for row in rows:
        for outcome in row["arms"].values():
            official = outcome["score"]["instruction_strict"]
            for iid, mine, theirs in zip(
                row["instruction_ids"], outcome["code_verdicts"], official, strict=True
            ):
                entry = stats[iid]
                if mine is None:
                    entry["judged"] += 1
                    continue
                entry["compared"] += 1
                entry["agree"] += mine == theirs
                entry["false_pass"] += mine and not theirs
                entry["false_fail"] += theirs and not mine
    out: dict[str, dict[str, Any]] = {}
    for iid in sorted(stats):
        counts = stats[iid]
        compared = counts["compared"]
        rate = round(counts["agree"] / compared, 4) if compared else None
        out[iid] = {**counts, "rate": rate}
    return out


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def markdown(summary: dict[str, Any]) -> str:
    """The results as markdown: config, per-arm table, ratios, validator agreement."""
    config, arm_totals = summary["config"], summary["totals"]
    lines = [
        f"# IFEval: {', '.join(arm_totals)} on `{config['model']}`",
        "",
        f"{config['prompts']} prompts ({config['selection']}), candidates={config['candidates']},"
        f" call budget={config['calls']}; data {config['package']} {config['package_version']}"
        f" (sha256 {config['data_sha256'][:12]}…). Reproduce: `{config['command']}`",
        "",
        f"Scored with the offline nltk substitute (sentence and capital-word counts): "
        f"{config.get('nltk_substitute_prompts', '?')} of these prompts, "
        f"{config.get('nltk_substitute_prompts_of_all', '?')} of all 541.",
        "",
        "| arm | prompt strict | prompt loose | instr. strict | instr. loose | tokens/prompt "
        "| calls/prompt | wall s/prompt | wall s total |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for arm, t in arm_totals.items():
        cells = [t[k] for k in ACCURACY] + [
            t["tokens_per_prompt"], t["calls_per_prompt"], t["wall_seconds_per_prompt"],
            t["wall_seconds"],
        ]  # fmt: skip
        lines.append(f"| {arm} | " + " | ".join(_fmt(c) for c in cells) + " |")
    if summary["ratios"]:
        lines += ["", "| ratio | " + " | ".join(ACCURACY + COSTS) + " |"]
        lines.append("|---" * (1 + len(ACCURACY + COSTS)) + "|")
        for name, values in summary["ratios"].items():
            cells = [_fmt(values[k]) for k in ACCURACY + COSTS]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if summary.get("median_wall_ratios"):
        medians = ", ".join(f"{k} {_fmt(v)}" for k, v in summary["median_wall_ratios"].items())
        lines += ["", f"Median over prompts of the wall-time ratio: {medians}."]
    if summary.get("satisfied"):
        met = ", ".join(f"{how} {n}" for how, n in summary["satisfied"].items())
        lines += ["", f"How the codeplan arm's outputs met their requirements: {met}."]
    lines += [
        "",
        "Agreement of codeplan's own validators with the official strict verifier, per "
        "instruction type, on every arm's outputs (judged: left to codeplan's model judge):",
        "",
        "| instruction | compared | agree | rate | false pass | false fail | judged |",
        "|---|---|---|---|---|---|---|",
    ]
    for iid, a in summary["agreement"].items():
        cells = [a["compared"], a["agree"], a["rate"], a["false_pass"], a["false_fail"]]
        lines.append(f"| `{iid}` | " + " | ".join(_fmt(c) for c in cells) + f" | {a['judged']} |")
    return "\n".join(lines) + "\n"


def svg_plot(arm_totals: dict[str, dict[str, Any]], *, width: int = 480, height: int = 320) -> str:
    """Prompt-level strict accuracy against tokens per prompt, one point per arm, as SVG."""
    left, right, top, bottom = 60, 20, 30, 50
    points = [(a, t["tokens_per_prompt"], t["prompt_strict"]) for a, t in arm_totals.items()]
    x_max = max([p[1] for p in points] + [1.0]) * 1.1
    y_max = max(max([p[2] for p in points] + [0.0]) * 1.1, 0.1)

    def x(v: float) -> float:
        return left + (width - left - right) * v / x_max

    def y(v: float) -> float:
        return height - bottom - (height - top - bottom) * v / y_max

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="18" text-anchor="middle">IFEval: accuracy vs tokens</text>',
        f'<line x1="{left}" y1="{y(0)}" x2="{width - right}" y2="{y(0)}" stroke="black"/>',
        f'<line x1="{left}" y1="{y(0)}" x2="{left}" y2="{top}" stroke="black"/>',
        f'<text x="{width / 2}" y="{height - 12}" text-anchor="middle">tokens per prompt</text>',
        f'<text x="14" y="{height / 2}" text-anchor="middle" '
        f'transform="rotate(-90 14 {height / 2})">prompt-level strict accuracy</text>',
    ]
    for i in range(5):
        xv, yv = x_max * i / 4, y_max * i / 4
        parts.append(f'<text x="{x(xv)}" y="{y(0) + 16}" text-anchor="middle">{xv:,.0f}</text>')
        parts.append(f'<text x="{left - 6}" y="{y(yv) + 4}" text-anchor="end">{yv:.2f}</text>')
    for arm, tokens, accuracy in points:
        color = COLORS.get(arm, "#555555")
        parts.append(f'<circle cx="{x(tokens):.1f}" cy="{y(accuracy):.1f}" r="5" fill="{color}"/>')
        parts.append(
            f'<text x="{x(tokens) + 8:.1f}" y="{y(accuracy) - 6:.1f}" fill="{color}">'
            f"{html.escape(arm)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_plot(arm_totals: dict[str, dict[str, Any]], stem: Path) -> Path:
    """The accuracy-vs-tokens plot: PNG with matplotlib if installed, else hand-written SVG."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        path = stem.with_suffix(".svg")
        path.write_text(svg_plot(arm_totals), encoding="utf-8")
        return path
    figure, axes = plt.subplots(figsize=(5, 3.5))
    for arm, t in arm_totals.items():
        axes.scatter([t["tokens_per_prompt"]], [t["prompt_strict"]], label=arm)
    axes.set_xlabel("tokens per prompt")
    axes.set_ylabel("prompt-level strict accuracy")
    axes.legend()
    path = stem.with_suffix(".png")
    figure.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(figure)
    return path


def summarise(rows: Sequence[dict[str, Any]], config: dict[str, Any]) -> dict[str, Any]:
    """The whole results document (config, totals, ratios, agreement, per-prompt rows)."""
    arm_totals = totals(rows, config["arms"])
    return {
        "config": config,
        "totals": arm_totals,
        "ratios": ratios(arm_totals),
        "satisfied": satisfied(rows),
        "median_wall_ratios": median_wall_ratios(rows),
        "agreement": agreement(rows),
        "prompts": list(rows),
    }


def write(summary: dict[str, Any], out: Path, name: str) -> dict[str, Path]:
    """Write ``<name>.json``, ``<name>.md`` and the plot into `out`; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / f"{name}.json", "markdown": out / f"{name}.md"}
    paths["json"].write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    paths["plot"] = write_plot(summary["totals"], out / f"{name}_accuracy_vs_tokens")
    text = markdown(summary) + f"\nPlot: `{paths['plot'].name}`\n"
    paths["markdown"].write_text(text, encoding="utf-8")
    return paths
