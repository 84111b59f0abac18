"""The figures as a table on stdout, as bench/results.json and as docs/performance.md."""

from __future__ import annotations

import json
import time

from bench import notes
from bench.env import OUT, ROOT
from bench.stats import Results, Row, fmt_median, fmt_p95

JSON_PATH = ROOT / "bench" / "results.json"
DOC_PATH = ROOT / "docs" / "performance.md"


def write(results: Results, *, full: bool, merge: bool = False) -> None:
    """Print the table; a full run also writes the JSON and the document (a partial run or a
    failed one writes bench/out/results-partial.json instead, leaving the published ones).
    With `merge`, a partial run's rows replace those of the same groups in the published
    figures (new groups go after them), and the document says which sections were measured
    when."""
    print(table(results.rows))
    if merge and not full:
        results = merged(Results.from_json(json.loads(JSON_PATH.read_text())), results)
        full = True
    document = {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "rows": [row.as_json() for row in results.rows],
        "facts": results.facts,
    }
    text = json.dumps(document, indent=2, default=str) + "\n"
    if full:
        JSON_PATH.write_text(text)
        DOC_PATH.write_text(markdown(results))
        print(f"\nwrote {JSON_PATH.relative_to(ROOT)} and {DOC_PATH.relative_to(ROOT)}")
    else:
        partial = OUT / "results-partial.json"
        partial.write_text(text)
        print(f"\nwrote {partial.relative_to(ROOT)} (partial run: published figures untouched)")


def merged(published: Results, fresh: Results) -> Results:
    """The published rows with every group `fresh` measured replaced by its fresh rows."""
    groups = list(dict.fromkeys(row.group for row in fresh.rows))
    out = Results()
    placed: set[str] = set()
    for row in published.rows:
        if row.group not in groups:
            out.rows.append(row)
        elif row.group not in placed:
            placed.add(row.group)
            out.rows += [r for r in fresh.rows if r.group == row.group]
    out.rows += [r for r in fresh.rows if r.group not in placed]
    out.facts = dict(published.facts)
    # A section measured again replaces its own errors too (kept: the other sections').
    again = tuple(f"{section}: " for section in fresh.facts.get("sections", []))
    out.facts["errors"] = [e for e in published.facts.get("errors", []) if not e.startswith(again)]
    out.facts["errors"] += fresh.facts.get("errors", [])
    if not out.facts["errors"]:
        del out.facts["errors"]
    for key, value in fresh.facts.items():
        if key == "errors":
            continue
        if isinstance(value, dict) and isinstance(out.facts.get(key), dict):
            out.facts[key] = {**out.facts[key], **value}
        elif key not in ("run_seconds", "sections"):
            out.facts[key] = value
    when = time.strftime("%Y-%m-%d %H:%M")
    remeasured = out.facts.setdefault("remeasured", {})
    for section in fresh.facts.get("sections", []):
        remeasured[section] = when
    return out


def _verdict(row: Row) -> str:
    return {True: "met", False: "**missed**", None: ""}[row.met]


def table(rows: list[Row]) -> str:
    header = ("benchmark", "figure", "runs", "median", "p95", "target", "")
    lines = [
        (
            row.group,
            row.metric,
            str(row.runs),
            row.text or fmt_median(row),
            "" if row.text else fmt_p95(row),
            row.target,
            _verdict(row).replace("*", ""),
        )
        for row in rows
    ]
    widths = [max(len(str(line[i])) for line in [header, *lines]) for i in range(len(header))]
    out = []
    for n, line in enumerate([header, *lines]):
        out.append(
            "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True))
        )
        if n == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(out)


def markdown_table(rows: list[Row]) -> str:
    out = [
        "| benchmark | figure | runs | median | p95 | target | |",
        "| --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for row in rows:
        note = f"<br><small>{row.note}</small>" if row.note else ""
        out.append(
            f"| {row.group} | {row.metric}{note} | {row.runs} | "
            f"{row.text or fmt_median(row)} | "
            f"{'' if row.text else fmt_p95(row)} | {row.target} | "
            f"{_verdict(row)} |"
        )
    return "\n".join(out)


def markdown(results: Results) -> str:
    facts = results.facts
    machine = facts.get("machine", {})
    missed = [row for row in results.rows if row.met is False]
    missed_text = "\n".join(f"- **{row.group} / {row.metric}**: {row.limit}" for row in missed)
    errors = "\n".join(f"- {error}" for error in facts.get("errors", []))
    return notes.DOCUMENT.format(
        table=markdown_table(results.rows),
        cpu=machine.get("cpu", "?"),
        cores=machine.get("cores", "?"),
        memory=machine.get("memory_gib", "?"),
        os=machine.get("os", "?"),
        kernel=machine.get("kernel", "?"),
        python=machine.get("python", "?"),
        postgresql=machine.get("postgresql", "?"),
        redis=machine.get("redis", "?"),
        strongswan=machine.get("strongswan", "?"),
        minutes=f"{facts.get('run_seconds', 0) / 60:.1f}",
        generated=time.strftime("%Y-%m-%d"),
        missed=missed_text or "- None: every target was met in this run.",
        errors=f"\n## Errors in this run\n\n{errors}\n" if errors else "",
        ratios=_ratios(results),
        **_timers(facts.get("node_timers_seconds", {})),
        sections=", ".join(
            f"{name} {seconds:.0f} s" for name, seconds in facts.get("section_seconds", {}).items()
        )
        + _remeasured(facts.get("remeasured", {})),
    )


def _remeasured(remeasured: dict[str, str]) -> str:
    if not remeasured:
        return ""
    return ". Sections measured again later by `python -m bench --only ... --merge`: " + ", ".join(
        f"{name} ({when})" for name, when in remeasured.items()
    )


def _timers(timers: dict[str, float]) -> dict[str, str]:
    names = ("heartbeat", "down_after", "node_check", "resync", "sweep")
    return {name: f"{timers[name]:g}" if name in timers else "?" for name in names}


def _ratios(results: Results) -> str:
    lines = []
    for key, value in results.facts.get("ratios", {}).items():
        lines.append(f"| {key} | {value} |")
    if not lines:
        return "(not measured in this run)"
    return "| N and figure | ours vs. full reload |\n| --- | --- |\n" + "\n".join(lines)
