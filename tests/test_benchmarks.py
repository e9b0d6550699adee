# SPDX-License-Identifier: MIT
"""The benchmarks in tools/ keep working: each runs briefly here and prints its
table with the baseline beside the tool. No timing is asserted (timings are
measured by running the benchmarks, see the README); what is asserted is what
the tool guarantees: a long run's findings are all counted, none dropped."""
import re
import subprocess

from conftest import QGC_CHECK, ROOT, tool_env


def bench(name, *args, timeout=300, qgc_check=QGC_CHECK, ok=True):
    p = subprocess.run(["/usr/bin/python3", str(ROOT / "tools" / name), "--qgc-check", qgc_check,
                        *map(str, args)], capture_output=True, text=True, env=tool_env(),
                       timeout=timeout)
    if ok:
        assert p.returncode == 0, p.stderr[-2000:]
        return p.stdout
    return p


def test_startup_prints_both_sides():
    out = bench("bench-startup", "--runs", 1)
    assert re.search(r"^python3 +[\d.]+", out, re.M)
    assert re.search(r"^qgc-check -q +[\d.]+ +[\d.]+ +[\d.]+ +[+-][\d.]+", out, re.M)


def test_overhead_prints_a_ratio():
    out = bench("bench-overhead", "--runs", 8, "--rounds", 200)
    assert re.search(r"ratio of medians [\d.]+x \(goal: at most 1.05x\)", out)
    busy = re.search(r"^the churn's CPU time over its wall time, every run of either side: ([\d.]+) to ([\d.]+)$", out, re.M)
    assert busy and 0 < float(busy.group(1)) <= float(busy.group(2)), out
    # The pairs' ratios: an interval around their median, and a verdict that
    # follows from where the interval lies.
    m = re.search(r"median of the 8 pairs' ratios ([\d.]+)x, 95 % interval ([\d.]+)x to ([\d.]+)x: (goal \w+)", out)
    assert m, out
    med, lo, hi, verdict = float(m.group(1)), float(m.group(2)), float(m.group(3)), m.group(4)
    assert 0 < lo <= med <= hi, out
    assert verdict == ("goal met" if hi <= 1.05 else "goal missed" if lo > 1.05 else "goal neither"), out


def test_overhead_instructions_count_the_runner():
    """The interpreter the runner is loaded into is exec'd by the supervisor:
    callgrind must follow it, and both sides' figures are real (non-zero,
    same order of magnitude)."""
    out = bench("bench-overhead", "--instructions", "--rounds", 200, "--qobjects", timeout=900)
    base = float(re.search(r"^python3 +([\d.]+) M", out, re.M).group(1))
    runner = float(re.search(r"^qgc-check \(--threads 0\) +([\d.]+) M", out, re.M).group(1))
    ratio = float(re.search(r"^ratio ([\d.]+)x", out, re.M).group(1))
    assert base > 1 and runner > 1, out
    # The figures are printed to 0.1 M: their ratio agrees within that rounding.
    assert abs(ratio - runner / base) <= ratio * (0.051 / base + 0.051 / runner) + 0.0005, out
    assert 0.5 < ratio < 5, out


def perf_samples_here():
    try:
        return subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-o", "/dev/null", "true"],
                              capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def test_overhead_where_splits_the_time_by_shared_object():
    """--where: perf's samples of the churn, ROUNDS minus 0 rounds, per shared
    object of the script's process. The watcher's own code is sampled on the
    tool's side only, QtCore on both; each side's shares add up to 100 %, and
    the summary lines agree with the table (one pair: its own figures)."""
    if not perf_samples_here():
        import pytest
        pytest.skip("perf cannot sample in this machine (linux-perf, perf_event_paranoid)")
    out = bench("bench-overhead", "--where", "--runs", 1, "--rounds", 20000, "--qobjects", timeout=900)
    rows = {m.group(1): (float(m.group(2)), float(m.group(3)), float(m.group(4)), float(m.group(5)))
            for m in re.finditer(r"^(\S+) +(-?[\d.]+)ms +(-?[\d.]+)% +(-?[\d.]+)ms +(-?[\d.]+)%", out, re.M)}
    base, base_share, tool, tool_share = rows["total"]
    assert base > 50 and tool > 50 and base_share == tool_share == 100, out
    probe = rows["qgc-probe.so"]
    assert probe[0] == 0 and probe[2] > 0 and abs(probe[3] - probe[2] / tool * 100) < 0.1, out
    assert any(k.startswith("libQt6Core") and v[0] > 0 and v[2] > 0 for k, v in rows.items()), out
    own = float(re.search(r"^the watcher's own code \(qgc-\*\), median of the runs: ([\d.]+) %", out, re.M).group(1))
    assert 0 < own < 100, out
    # One pair: the shares of that pair, which the table's per-run figures are.
    runner = sum(v[3] for k, v in rows.items() if k.startswith("qgc-"))
    assert abs(own - runner) < 0.2 + 0.1 * len([k for k in rows if k.startswith("qgc-")]), out
    total = float(re.search(r"^the whole churn over the baseline's, median of the pairs: ([\d.]+)x", out, re.M).group(1))
    assert abs(total - tool / base) < 0.01, out


def test_a_benchmark_that_measured_nothing_prints_no_ratio():
    for name, args in (("bench-overhead", ("--runs", 1, "--rounds", 100)),
                       ("bench-overhead", ("--where", "--runs", 1, "--rounds", 100)),
                       ("bench-startup", ("--runs", 1))):
        p = bench(name, *args, qgc_check="/bin/false", ok=False)
        assert p.returncode != 0 and "ratio" not in p.stdout and "diff" not in p.stdout, (name, p.stdout)
        assert p.stderr.strip(), name


def test_scale_states_bytes_per_object():
    out = bench("bench-scale", "--runs", 1, "--objects", 20000)
    assert re.search(r"memory overhead per tracked object, qgc-check --threads 0: -?[\d.]+ bytes", out)


def test_long_run_counts_every_finding():
    out = bench("bench-long-run", "--minutes", 0.25, "--sample", 1)
    assert re.search(r"^qgc-check runner +[\d.]+", out, re.M)
    m = re.search(r"findings_total (\d+), sum of counts (\d+) \((\w+)\), findings_dropped (\d+)", out)
    assert m and int(m.group(1)) > 1000 and m.group(3) == "exact" and m.group(4) == "0", out


def test_hooks_counts_the_probes_own_instructions():
    out = bench("bench-hooks", "--rounds", 100, "--qobjects", timeout=900)
    per = {m.group(1): int(m.group(2)) for m in re.finditer(r"^(on_add|on_remove|total) +[\d.]+ M +(\d+) per QObject",
                                                            out, re.M)}
    assert per.keys() == {"on_add", "on_remove", "total"}, out
    assert 0 < per["on_remove"] < per["total"] and 0 < per["on_add"] < per["total"], out
