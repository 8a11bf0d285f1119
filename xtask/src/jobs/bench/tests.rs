use super::boot::{boot_kind, boot_pair, parse_line, Boot, Line, Sample, TsyncSample};
use super::compare::Previous;
use super::date::civil_from_days;
use super::plan::{plan, stacked_lsm};
use super::report::Report;
use super::stats::growth_exponent;
use super::*;

fn sample(line: &str) -> Sample {
    match parse_line(line) {
        Some(Line::Sample(s)) => s,
        other => panic!("{line:?}: {other:?}"),
    }
}

#[test]
fn parses_samples_after_kernel_noise() {
    let s = sample(
        "[   12.3] random: crng init done BENCH boot=SB2 state=b op=sendto round=3 iters=2000 ticks_per_op=5678.5 ns_per_op=5678.5",
    );
    assert_eq!((s.boot.as_str(), s.kind.as_str()), ("SB2", "SB"));
    assert_eq!((s.state, s.op.as_str(), s.ticks), ('b', "sendto", 5678.5));
    assert_eq!(boot_pair(&s.boot), Some(2));
    assert_eq!(boot_kind("A10"), "A");
    assert_eq!(boot_pair("A10"), Some(10));
}

#[test]
fn malformed_lines_are_errors_not_samples() {
    for l in [
        "BENCH boot=B1 state=b op=sendto ticks_per_op=abc",
        "BENCH boot=B1 state=b op=sendto",
        "BENCH boot=1 state=b op=sendto ticks_per_op=1",
        "BENCH-TSYNC boot=T1 mech=prctl set=16s threads=x busy=0 ticks=5 asleep=16",
    ] {
        assert!(matches!(parse_line(l), Some(Line::Error(_))), "{l}");
    }
    assert!(parse_line("no marker here").is_none());
    assert!(parse_line("BENCHMARK of something").is_none());
}

#[test]
fn parses_tsync_done_and_info() {
    match parse_line(
        "BENCH-TSYNC boot=T1 mech=seccomp set=16b threads=16 busy=1 round=0 ticks=123456 asleep=0",
    ) {
        Some(Line::Tsync(t)) => {
            assert_eq!((t.mech.as_str(), t.set.as_str()), ("seccomp", "16b"));
            assert_eq!(
                (t.threads, t.busy, t.ticks, t.asleep),
                (16, true, 123456.0, 0)
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        parse_line("BENCH-DONE boot=A1 ok=true secs=12.5"),
        Some(Line::Done { secs, ok: true }) if secs == 12.5
    ));
    assert!(matches!(
        parse_line("BENCH-INFO boot=A1 tsc_ghz=1.000"),
        Some(Line::Info(i)) if i == "boot=A1 tsc_ghz=1.000"
    ));
    assert!(matches!(
        parse_line("BENCH-ERROR boot=B1 state=c op=x msg=y"),
        Some(Line::Error(_))
    ));
}

#[test]
fn thread_sets_and_exponents() {
    assert_eq!(parse_set("1024s"), Some((1024, false)));
    assert_eq!(parse_set("16b"), Some((16, true)));
    assert_eq!(parse_set("16"), None);
    assert_eq!(parse_set("s"), None);
    assert!(DEFAULT_TSYNC_SETS
        .split(',')
        .all(|s| parse_set(s).is_some()));
    let lin = growth_exponent(&[(1.0, 10.0), (16.0, 160.0), (1024.0, 10240.0)]).unwrap();
    assert!((lin - 1.0).abs() < 1e-9, "{lin}");
    let quad = growth_exponent(&[(16.0, 256.0), (256.0, 65536.0)]).unwrap();
    assert!((quad - 2.0).abs() < 1e-9, "{quad}");
    assert!(growth_exponent(&[(16.0, 1.0)]).is_none());
}

fn boot(label: &str, samples: &[(char, &str, f64)]) -> Boot {
    Boot {
        label: label.into(),
        done: true,
        samples: samples
            .iter()
            .map(|&(state, op, ticks)| Sample {
                boot: label.into(),
                kind: boot_kind(label).into(),
                state,
                op: op.into(),
                ticks,
            })
            .collect(),
        ..Boot::default()
    }
}

fn opts() -> BenchOpts {
    use clap::Parser;
    let x = crate::flags::Xtask::try_parse_from(["cargo xtask", "bench"]).unwrap();
    let crate::flags::Cmd::Bench(b) = x.cmd else {
        unreachable!()
    };
    b.apply()
}

#[test]
fn ratios_pairs_and_goals() {
    let boots = vec![
        boot("A1", &[('a', "sendto", 1000.0), ('a', "sendto", 1010.0)]),
        boot("B1", &[('b', "sendto", 1001.0), ('b', "sendto", 1011.0)]),
        boot("A2", &[('a', "sendto", 1000.0)]),
        boot("B2", &[('b', "sendto", 1004.0)]),
        boot("SA1", &[('a', "sendto", 2000.0)]),
        boot("SB1", &[('b', "sendto", 2002.0)]),
    ];
    let o = opts();
    let r = Report::new(&boots, &o, "today", &[]);
    let ba = r.ratio("b", "a", "sendto").unwrap();
    assert_eq!(ba.pairs.len(), 2);
    assert!((ba.pairs[0].1 - 1006.0 / 1005.0).abs() < 1e-12);
    assert!((ba.pairs[1].1 - 1.004).abs() < 1e-12);
    assert!((ba.spread().unwrap() - (1.004 - 1006.0 / 1005.0)).abs() < 1e-12);
    // Pair 2 is over 1.002: the goal fails although the median is under.
    let g = r.goals();
    let (what, holds, _) = g.iter().find(|g| g.0.starts_with("b/a")).unwrap();
    assert!(!holds, "{what}");
    let sb = r.ratio("b′", "a′", "sendto").unwrap();
    assert!((sb.med - 1.001).abs() < 1e-12);
    let (_, holds, _) = g.iter().find(|g| g.0.starts_with("b′/a′")).unwrap();
    assert!(holds);
    let md = r.markdown();
    assert!(md.contains("## Stacked with AppArmor"), "{md}");
    assert!(md.contains("| sendto |"), "{md}");
}

#[test]
fn options() {
    let o = opts();
    assert_eq!((o.clock, o.rounds), (Clock::Icount, DEFAULT_ROUNDS_ICOUNT));
    assert!(parse_sets("0s,16b").is_ok());
    assert!(parse_sets("16x").is_err() && parse_sets("").is_err());
    let p = plan(&o, Some(&("x".into(), "x,prctl_network".into())));
    let labels: Vec<&str> = p.iter().map(|p| p.label.as_str()).collect();
    assert_eq!(
        labels,
        ["A1", "B1", "A2", "B2", "A3", "B3", "T1", "SA1", "SB1", "SA2", "SB2", "SA3", "SB3"]
    );
}

#[test]
fn compare_reads_our_json() {
    let boots = vec![
        boot("A1", &[('a', "sendto", 1000.0)]),
        boot("B1", &[('b', "sendto", 1003.0)]),
    ];
    let o = opts();
    let json = Report::new(&boots, &o, "day one", &[]).json();
    let p = Previous::parse("old.json", &json).unwrap();
    assert_eq!(p.date, "day one");
    assert!(
        p.command.starts_with("cargo xtask bench --icount"),
        "{}",
        p.command
    );
    assert_eq!(p.cells.get(&("a".into(), "sendto".into())), Some(&1000.0));
    assert_eq!(p.cells.get(&("b".into(), "sendto".into())), Some(&1003.0));
    assert_eq!(p.cells.len(), 2);
    let boots2 = vec![
        boot("A1", &[('a', "sendto", 1010.0)]),
        boot("B1", &[('b', "sendto", 1003.0)]),
    ];
    let mut r = Report::new(&boots2, &o, "day two", &[]);
    r.prev = Some(p);
    let (cells, _) = r.deviations().unwrap();
    let a = cells.iter().find(|c| c.cell == "sendto a").unwrap();
    assert!((a.percent - 1.0).abs() < 1e-9, "{a:?}");
    assert!(r.markdown().contains("+1.000% (sendto a)"));
    let json: serde_json::Value = serde_json::from_str(&r.json()).unwrap();
    assert_eq!(json["compare"]["previous"], "old.json");
    assert_eq!(json["compare"]["max_abs_deviation_percent"], 1.0);
    assert!(Previous::parse("x", "not json").is_err());
}

/// What `Report::json` wrote before serde_json (a hand-written writer, one
/// entry a line) for the run of `tiny_run()`.
const OLD_JSON: &str = r#"{
  "date": "day one",
  "command": "cargo xtask bench --icount --pairs 3 --stacked-pairs 3 --rounds 9 --iters 2000 --tsync-rounds 9",
  "clock": "icount",
  "unit": "guest instructions",
  "options": {"pairs": 3, "stacked_pairs": 3, "rounds": 9, "iters": 2000, "tsync_rounds": 9, "tsync_sets": "0s,1s,16s,256s,1024s,16b"},
  "tsc_ghz": 1.000,
  "boots": [
    {"label": "A1", "kernel": "", "append": "", "done": true, "secs": 0.000, "host_secs": 0.000, "info": [], "skips": [], "errors": []},
    {"label": "B1", "kernel": "", "append": "", "done": true, "secs": 0.000, "host_secs": 0.000, "info": [], "skips": [], "errors": []},
    {"label": "T1", "kernel": "", "append": "", "done": true, "secs": 0.000, "host_secs": 0.000, "info": [], "skips": [], "errors": []}
  ],
  "results": [
    {"column": "a", "state": "a", "boots": "A", "op": "sendto", "n": 1, "min": 1000.000, "median": 1000.000, "min_ticks": 1000.000, "median_ticks": 1000.000, "samples_boot_ticks": [["A1", 1000.000]]},
    {"column": "b", "state": "b", "boots": "B", "op": "sendto", "n": 1, "min": 1003.000, "median": 1003.000, "min_ticks": 1003.000, "median_ticks": 1003.000, "samples_boot_ticks": [["B1", 1003.000]]}
  ],
  "ratios": [
    {"ratio": "b/a", "op": "sendto", "min": 1.003, "median": 1.003, "by_pair": [[1, 1.003]], "pair_spread": null}
  ],
  "tsync": [
    {"mech": "prctl", "set": "16s", "threads": 16, "busy": false, "n": 1, "min": 3000.500, "median": 3000.500, "max": 3000.500, "median_ticks": 3000.500, "asleep_min": 16},
    {"mech": "seccomp", "set": "16s", "threads": 16, "busy": false, "n": 1, "min": 5000.250, "median": 5000.250, "max": 5000.250, "median_ticks": 5000.250, "asleep_min": 16}
  ],
  "goals": [
    {"goal": "b/a <= 1.002 for every socket op (median, and every boot pair)", "holds": false, "detail": "sendto 1.0030 (over)"}
  ],
  "compare": null
}
"#;

/// A1 and B1 with one sendto sample each; T1 with one TSYNC set.
fn tiny_run() -> Vec<Boot> {
    let mut t1 = boot("T1", &[]);
    for (mech, ticks) in [("prctl", 3000.5), ("seccomp", 5000.25)] {
        t1.tsync.push(TsyncSample {
            mech: mech.into(),
            set: "16s".into(),
            threads: 16,
            busy: false,
            ticks,
            asleep: 16,
        });
    }
    vec![
        boot("A1", &[('a', "sendto", 1000.0)]),
        boot("B1", &[('b', "sendto", 1003.0)]),
        t1,
    ]
}

#[test]
fn compare_reads_old_json() {
    let p = Previous::parse("old.json", OLD_JSON).unwrap();
    assert_eq!(p.date, "day one");
    assert!(p
        .command
        .starts_with("cargo xtask bench --icount --pairs 3"));
    let key = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(p.cells.len(), 2);
    assert_eq!(p.cells.get(&key("a", "sendto")), Some(&1000.0));
    assert_eq!(p.cells.get(&key("b", "sendto")), Some(&1003.0));
    assert_eq!(p.tsync.len(), 2);
    assert_eq!(p.tsync.get(&key("prctl", "16s")), Some(&3000.5));
    assert_eq!(p.tsync.get(&key("seccomp", "16s")), Some(&5000.25));
    // The same run gives the same document: every field, every value.
    let boots = tiny_run();
    let o = opts();
    let new: serde_json::Value =
        serde_json::from_str(&Report::new(&boots, &o, "day one", &[]).json()).unwrap();
    let old: serde_json::Value = serde_json::from_str(OLD_JSON).unwrap();
    assert_eq!(new, old);
}

#[test]
fn dates() {
    assert_eq!(civil_from_days(0), (1970, 1, 1));
    assert_eq!(civil_from_days(20_513), (2026, 3, 1));
    assert_eq!(civil_from_days(11_016), (2000, 2, 29));
}

#[test]
fn stacked_lsm_lists() {
    let (without, with) = stacked_lsm().unwrap();
    assert!(with.contains("apparmor") && with.contains("prctl_network"));
    assert!(without.contains("apparmor") && !without.contains("prctl_network"));
}

#[test]
fn a_boot_that_ends_not_ok_has_an_error() {
    let mut b = Boot {
        label: "T1".into(),
        ..Boot::default()
    };
    b.take(parse_line("BENCH-DONE boot=T1 ok=false secs=1.0").unwrap());
    assert!(b.done);
    assert_eq!(b.errors.len(), 1, "{:?}", b.errors);
    let mut b = Boot::default();
    b.take(parse_line("BENCH-DONE boot=T1 ok=true secs=1.0").unwrap());
    assert!(b.done && b.errors.is_empty());
}
