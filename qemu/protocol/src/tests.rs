use super::*;
use proptest::prelude::*;

fn test(verdict: Verdict, program: &str, test: &str, who: Who, reason: Option<&str>) -> Event {
    Event::Test(TestResult {
        verdict,
        program: program.into(),
        test: test.into(),
        who,
        reason: reason.map(str::to_string),
    })
}

fn sample() -> BenchSample {
    BenchSample {
        boot: "SB2".into(),
        state: 'b',
        op: "sendto".into(),
        round: 3,
        iters: 2000,
        ticks_per_op: 5678.5,
        ns_per_op: 1895.9,
    }
}

fn tsync() -> TsyncSample {
    TsyncSample {
        boot: "T1".into(),
        mech: "seccomp".into(),
        set: "16b".into(),
        threads: 16,
        busy: true,
        round: 0,
        ticks: 123456,
        asleep: 0,
    }
}

/// One value of every variant (and of the optional parts).
fn every_variant() -> Vec<Event> {
    vec![
        Event::Run {
            program: "nonet".into(),
            who: Who::Root,
        },
        test(Verdict::Ok, "nonet", "tests::denies_tcp", Who::User, None),
        test(
            Verdict::Fail,
            "prctl_network",
            "<program>",
            Who::Root,
            Some("exit status 101"),
        ),
        test(
            Verdict::Skip,
            "pn_selftest",
            "global.needs two cpus",
            Who::User,
            None,
        ),
        test(Verdict::Fail, "init", "loopback", Who::Root, Some("")),
        Event::KernelLog { clean: true },
        Event::KernelLog { clean: false },
        Event::Out {
            program: "kernel-log".into(),
            who: Who::Root,
            line: "[ 1.0] WARNING: at x | y".into(),
        },
        Event::Out {
            program: "nonet".into(),
            who: Who::User,
            line: String::new(),
        },
        Event::Info("lo is up, 127.0.0.1 works".into()),
        Event::Info(String::new()),
        Event::Done {
            passed: 412,
            failed: 1,
            skipped: 7,
        },
        Event::Bench(sample()),
        Event::Tsync(tsync()),
        Event::BenchInfo("boot=A1 tsc_ghz=1.000".into()),
        Event::BenchSkip {
            boot: "B1".into(),
            state: "e".into(),
            reason: "Landlock ABI < 4 (no TCP rules) or Landlock disabled".into(),
        },
        Event::BenchError {
            boot: "-".into(),
            state: "-".into(),
            op: "args".into(),
            msg: "unknown option \"--x\"".into(),
        },
        Event::BenchDone {
            boot: "A1".into(),
            ok: true,
            secs: 12.5,
        },
    ]
}

#[test]
fn every_variant_round_trips() {
    for e in every_variant() {
        let line = e.to_string();
        assert_eq!(line.parse::<Event>().as_ref(), Ok(&e), "{line}");
        assert_eq!(Event::find(&line), Some(Ok(e.clone())), "{line}");
        let noisy = format!("[   12.3] random: crng init done {line}\r");
        assert_eq!(Event::find(&noisy), Some(Ok(e.clone())), "{noisy}");
        assert!(line.starts_with(e.tag()));
    }
}

/// The old guest sources' format strings (qemu/init and qemu/bench before
/// this crate), with the same values: the console lines stay byte-identical.
#[test]
fn display_matches_the_old_format_strings() {
    let (prog, name, who, why) = ("nonet", "tests::a", "user", "exit status 101");
    let user = Who::User;
    for (v, verdict) in [
        (Verdict::Ok, "ok"),
        (Verdict::Fail, "FAIL"),
        (Verdict::Skip, "skip"),
    ] {
        assert_eq!(
            test(v, prog, name, user, None).to_string(),
            format!("VMTEST {verdict} {prog}::{name} [{who}]")
        );
    }
    assert_eq!(
        test(Verdict::Fail, prog, "<program>", user, Some(why)).to_string(),
        format!("VMTEST FAIL {prog}::<program> [{who}] ({why})")
    );
    let e = "SIOCGIFFLAGS lo: No such device (os error 19)";
    assert_eq!(
        test(Verdict::Fail, "init", "loopback", Who::Root, Some(e)).to_string(),
        format!("VMTEST FAIL init::loopback [root] ({e})")
    );
    assert_eq!(
        test(Verdict::Fail, "init", "dummy0", Who::Root, Some(e)).to_string(),
        format!("VMTEST FAIL init::dummy0 [root] ({e})")
    );
    assert_eq!(
        Event::Run {
            program: prog.into(),
            who: user
        }
        .to_string(),
        format!("VMTEST-RUN {prog} [{who}]")
    );
    let line = "thread 'main' panicked at src/lib.rs:1:1:";
    assert_eq!(
        Event::Out {
            program: prog.into(),
            who: user,
            line: line.into()
        }
        .to_string(),
        format!("VMTEST-OUT {prog} [{who}] | {line}")
    );
    let secs = 12.345f64;
    assert_eq!(
        Event::Out {
            program: prog.into(),
            who: user,
            line: format!("({why}, {secs:.1}s)")
        }
        .to_string(),
        format!("VMTEST-OUT {prog} [{who}] | ({why}, {:.1}s)", secs)
    );
    assert_eq!(
        Event::Out {
            program: "kernel-log".into(),
            who: Who::Root,
            line: "...".into()
        }
        .to_string(),
        format!("VMTEST-OUT kernel-log [root] | {}", "...")
    );
    assert_eq!(
        Event::KernelLog { clean: true }.to_string(),
        "VMTEST ok kernel-log::clean [root]"
    );
    assert_eq!(
        Event::KernelLog { clean: false }.to_string(),
        "VMTEST FAIL kernel-log::clean [root]"
    );
    let metric = "tsync 1024 threads: 1.2 ms";
    assert_eq!(
        Event::Info(format!("{prog} [{who}] {metric}")).to_string(),
        format!("VMTEST-INFO {prog} [{who}] {metric}")
    );
    let (passed, failed, skipped) = (412u64, 0u64, 7u64);
    assert_eq!(
        Event::Done {
            passed,
            failed,
            skipped
        }
        .to_string(),
        format!(
            "VMTEST-DONE passed={} failed={} skipped={}",
            passed, failed, skipped
        )
    );

    // qemu/bench
    let (boot, round, iters, t, tpn) = ("B1", 3u32, 2000u64, 3701.25f64, 2.995f64);
    assert_eq!(
        Event::Bench(BenchSample {
            boot: boot.into(),
            state: 'c',
            op: "socket_denied".into(),
            round,
            iters,
            ticks_per_op: t,
            ns_per_op: t / tpn,
        })
        .to_string(),
        format!(
            "BENCH boot={boot} state={} op={} round={round} iters={iters} ticks_per_op={t:.1} ns_per_op={:.1}",
            'c',
            "socket_denied",
            t / tpn
        )
    );
    let (sleeping, ticks) = (256usize, 1234567u64);
    assert_eq!(
        Event::Tsync(TsyncSample {
            boot: "T1".into(),
            mech: "prctl".into(),
            set: "256s".into(),
            threads: 256,
            busy: false,
            round: 2,
            ticks,
            asleep: sleeping,
        })
        .to_string(),
        format!(
            "BENCH-TSYNC boot={} mech={} set={} threads={} busy={} round={} ticks={} asleep={sleeping}",
            "T1", "prctl", "256s", 256, u8::from(false), 2, ticks
        )
    );
    let why = "the module is enabled in this boot";
    assert_eq!(
        Event::BenchSkip {
            boot: boot.into(),
            state: "a".into(),
            reason: why.into()
        }
        .to_string(),
        format!("BENCH-SKIP boot={boot} state={} reason={why}", 'a')
    );
    assert_eq!(
        Event::BenchError {
            boot: boot.into(),
            state: "tsync".into(),
            op: "prctl-16s".into(),
            msg: "x".into()
        }
        .to_string(),
        format!(
            "BENCH-ERROR boot={boot} state=tsync op={}-{} msg={}",
            "prctl", "16s", "x"
        )
    );
    let (ok, secs) = (false, 812.04f64);
    assert_eq!(
        Event::BenchDone {
            boot: boot.into(),
            ok,
            secs
        }
        .to_string(),
        format!("BENCH-DONE boot={boot} ok={ok} secs={:.1}", secs)
    );
    let (abi, cpus) = (6i64, 2i64);
    let info = format!(
        "boot={boot} module={} landlock_abi={abi} cpus={cpus} kernel={} clocksource={} tsc_ghz={:.3} rounds={} iters={} lsm={}",
        "enabled(flags=0)", "6.12.0", "tsc", 1.0f64, 10, 2000, "landlock,yama,prctl_network"
    );
    assert_eq!(
        Event::BenchInfo(info.clone()).to_string(),
        format!("BENCH-INFO {info}")
    );
}

/// Lines as the guest prints them and the host's own test lines.
#[test]
fn parses_real_lines() {
    assert_eq!(
        Event::find("[   12.3] random: crng init done BENCH boot=SB2 state=b op=sendto round=3 iters=2000 ticks_per_op=5678.5 ns_per_op=5678.5"),
        Some(Ok(Event::Bench(BenchSample {
            ns_per_op: 5678.5,
            ..sample()
        })))
    );
    assert_eq!(
        Event::find("BENCH-TSYNC boot=T1 mech=seccomp set=16b threads=16 busy=1 round=0 ticks=123456 asleep=0"),
        Some(Ok(Event::Tsync(tsync())))
    );
    assert_eq!(
        "BENCH-DONE boot=A1 ok=true secs=12.5".parse(),
        Ok(Event::BenchDone {
            boot: "A1".into(),
            ok: true,
            secs: 12.5
        })
    );
    assert_eq!(
        "BENCH-INFO mount tmpfs on /tmp: No such device (os error 19)".parse(),
        Ok(Event::BenchInfo(
            "mount tmpfs on /tmp: No such device (os error 19)".into()
        ))
    );
    assert_eq!(
        "BENCH-ERROR boot=B1 state=d op=socket_denied msg=iteration 0: success (expected EPERM)"
            .parse(),
        Ok(Event::BenchError {
            boot: "B1".into(),
            state: "d".into(),
            op: "socket_denied".into(),
            msg: "iteration 0: success (expected EPERM)".into()
        })
    );
    assert_eq!(
        "BENCH-SKIP boot=B1 state=tsync reason=the module is not enabled in this boot (seccomp only)"
            .parse(),
        Ok(Event::BenchSkip {
            boot: "B1".into(),
            state: "tsync".into(),
            reason: "the module is not enabled in this boot (seccomp only)".into()
        })
    );
    assert_eq!(
        "VMTEST FAIL prctl_network-0123abcd::<program> [user] (timed out after 300s (killed))"
            .parse(),
        Ok(test(
            Verdict::Fail,
            "prctl_network-0123abcd",
            "<program>",
            Who::User,
            Some("timed out after 300s (killed)")
        ))
    );
    assert_eq!(
        "VMTEST ok model::a [user]::b [root]".parse(),
        Ok(test(Verdict::Ok, "model", "a [user]::b", Who::Root, None)),
        "the first [who] that ends the line counts"
    );
    assert_eq!(
        "VMTEST-OUT kernel-log [root] | [    5.1] WARNING: CPU: 0 | x".parse(),
        Ok(Event::Out {
            program: "kernel-log".into(),
            who: Who::Root,
            line: "[    5.1] WARNING: CPU: 0 | x".into()
        })
    );
    // kernel-log::clean as root with a reason, or as user, is an ordinary
    // verdict (the guest prints neither).
    assert_eq!(
        "VMTEST FAIL kernel-log::clean [root] (no log)".parse(),
        Ok(test(
            Verdict::Fail,
            "kernel-log",
            "clean",
            Who::Root,
            Some("no log")
        ))
    );
    assert_eq!(
        "VMTEST ok kernel-log::clean [user]".parse(),
        Ok(test(Verdict::Ok, "kernel-log", "clean", Who::User, None))
    );
    // The earliest tag counts, even when program output carries another.
    assert_eq!(
        Event::find("VMTEST-OUT nonet [root] | BENCH boot=x"),
        Some(Ok(Event::Out {
            program: "nonet".into(),
            who: Who::Root,
            line: "BENCH boot=x".into()
        }))
    );
    assert_eq!(
        Event::find("BENCHMARK: VMTEST-INFO 2 CPU(s) online"),
        Some(Ok(Event::Info("2 CPU(s) online".into())))
    );
}

#[test]
fn the_kernel_log_check_is_never_skipped() {
    for l in [
        "VMTEST skip kernel-log::clean [root]",
        "VMTEST skip kernel-log::clean [user]",
        "VMTEST skip kernel-log::clean [root] (no klogctl)",
    ] {
        let e = l.parse::<Event>().expect_err(l);
        assert_eq!(e.line(), l);
        assert_eq!(e.reason(), "kernel-log::clean is only ever ok or FAIL");
        assert_eq!(Event::find(&format!("[ 9.9] x {l}\r")), Some(Err(e)), "{l}");
    }
    // Other tests of a program called kernel-log may be skipped.
    assert_eq!(
        "VMTEST skip kernel-log::other [root]".parse(),
        Ok(test(Verdict::Skip, "kernel-log", "other", Who::Root, None))
    );
}

#[test]
fn rejects_malformed_lines() {
    for l in [
        // the host's own examples
        "BENCH boot=B1 state=b op=sendto ticks_per_op=abc",
        "BENCH boot=B1 state=b op=sendto",
        "BENCH-TSYNC boot=T1 mech=prctl set=16s threads=x busy=0 ticks=5 asleep=16",
        // fields out of order, extra, or of the wrong kind
        "BENCH state=b boot=B1 op=sendto round=3 iters=2000 ticks_per_op=1.0 ns_per_op=1.0",
        "BENCH boot=B1 state=b op=sendto round=3 iters=2000 ticks_per_op=1.0 ns_per_op=1.0 x=1",
        "BENCH boot=B1 state=bc op=sendto round=3 iters=2000 ticks_per_op=1.0 ns_per_op=1.0",
        "BENCH boot=B1 state=b op=sendto round=-1 iters=2000 ticks_per_op=1.0 ns_per_op=1.0",
        "BENCH-TSYNC boot=T1 mech=prctl set=16s threads=16 busy=2 round=0 ticks=5 asleep=16",
        "BENCH-DONE boot=A1 ok=yes secs=1.0",
        "BENCH-DONE boot=A1 ok=true",
        "BENCH-SKIP boot=A1 reason=x",
        "BENCH-ERROR boot=A1 state=a msg=x",
        "VMTEST-DONE passed=1 failed=0",
        "VMTEST-DONE passed=1 failed=0 skipped=0 more",
        "VMTEST-DONE",
        "VMTEST maybe nonet::a [root]",
        "VMTEST ok nonet::a",
        "VMTEST ok nonet::a [admin]",
        "VMTEST ok nonet::a [root] trailing",
        "VMTEST ok nonet::a [root] (unclosed",
        "VMTEST ok nonet [root]",
        "VMTEST ok ::a [root]",
        "VMTEST ok nonet:: [root]",
        "VMTEST-RUN nonet",
        "VMTEST-RUN [root]",
        "VMTEST-RUN two words [root]",
        "VMTEST-OUT nonet [root] no bar",
        "VMTEST-OUT nonet | x",
    ] {
        match Event::find(l) {
            Some(Err(e)) => {
                assert_eq!(e.line(), l);
                assert_eq!(e.to_string(), format!("unparsable line {l:?}"));
                assert!(!e.reason().is_empty());
            }
            other => panic!("{l}: {other:?}"),
        }
        assert!(l.parse::<Event>().is_err(), "{l}");
    }
    for l in [
        "",
        "no marker here",
        "BENCHMARK of something",
        "VMTESTS ok",
        "VMTEST-FOO bar",
    ] {
        assert_eq!(Event::find(l), None, "{l}");
    }
    assert!(
        "  VMTEST-INFO x".parse::<Event>().is_err(),
        "FromStr wants the tag first"
    );
    assert!("VMTEST-INFOx".parse::<Event>().is_err());
}

fn word() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_.<>-]{1,12}"
}

fn text() -> impl Strategy<Value = String> {
    // Spaces, `|`, `=`, `::`, parentheses and brackets, but no newline and
    // no ` [root]`/` [user]` (the constraint on test names).
    "[A-Za-z0-9 _.:|=()<>,-]{0,30}"
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![Just(Who::Root), Just(Who::User)]
}

/// A figure as one decimal reads it.
fn tenths() -> impl Strategy<Value = f64> {
    (0u64..1 << 40).prop_map(|n| n as f64 / 10.0)
}

fn event() -> impl Strategy<Value = Event> {
    let verdict = prop_oneof![Just(Verdict::Ok), Just(Verdict::Fail), Just(Verdict::Skip)];
    prop_oneof![
        (word(), who()).prop_map(|(program, who)| Event::Run { program, who }),
        (
            verdict,
            word(),
            "[^\r\n]{0,3}[A-Za-z]",
            who(),
            proptest::option::of(text())
        )
            .prop_filter("kernel-log is its own variant", |(_, p, ..)| p
                != "kernel-log")
            .prop_filter("no :: in program names", |(_, p, ..)| !p.contains("::"))
            .prop_filter("no [who] in test names", |(_, _, t, ..)| {
                !t.contains(" [root]") && !t.contains(" [user]")
            })
            .prop_map(
                |(verdict, program, test, who, reason)| Event::Test(TestResult {
                    verdict,
                    program,
                    test,
                    who,
                    reason
                })
            ),
        any::<bool>().prop_map(|clean| Event::KernelLog { clean }),
        (word(), who(), "[^\r\n]{0,40}").prop_map(|(program, who, line)| Event::Out {
            program,
            who,
            line
        }),
        "[^\r\n]{0,40}".prop_map(Event::Info),
        (any::<u64>(), any::<u64>(), any::<u64>()).prop_map(|(passed, failed, skipped)| {
            Event::Done {
                passed,
                failed,
                skipped,
            }
        }),
        (
            word(),
            "[a-e]",
            word(),
            any::<u32>(),
            any::<u64>(),
            tenths(),
            tenths()
        )
            .prop_map(|(boot, state, op, round, iters, ticks_per_op, ns_per_op)| {
                Event::Bench(BenchSample {
                    boot,
                    state: state.chars().next().unwrap(),
                    op,
                    round,
                    iters,
                    ticks_per_op,
                    ns_per_op,
                })
            }),
        (
            (word(), word(), word()),
            (
                any::<usize>(),
                any::<bool>(),
                any::<u32>(),
                any::<u64>(),
                any::<usize>()
            )
        )
            .prop_map(
                |((boot, mech, set), (threads, busy, round, ticks, asleep))| {
                    Event::Tsync(TsyncSample {
                        boot,
                        mech,
                        set,
                        threads,
                        busy,
                        round,
                        ticks,
                        asleep,
                    })
                }
            ),
        "[^\r\n]{0,40}".prop_map(Event::BenchInfo),
        (word(), word(), "[^\r\n]{0,40}").prop_map(|(boot, state, reason)| Event::BenchSkip {
            boot,
            state,
            reason
        }),
        (word(), word(), word(), "[^\r\n]{0,40}").prop_map(|(boot, state, op, msg)| {
            Event::BenchError {
                boot,
                state,
                op,
                msg,
            }
        }),
        (word(), any::<bool>(), tenths()).prop_map(|(boot, ok, secs)| Event::BenchDone {
            boot,
            ok,
            secs
        }),
    ]
}

proptest! {
    #[test]
    fn display_then_parse_is_identity(e in event()) {
        let line = e.to_string();
        prop_assert_eq!(line.parse::<Event>(), Ok(e.clone()), "{}", line);
        prop_assert_eq!(Event::find(&format!("[ 1.0] noise: {line}")), Some(Ok(e)));
    }

    #[test]
    fn parse_never_panics(s in "(VMTEST|BENCH)[^\n]{0,60}") {
        if let Ok(e) = s.parse::<Event>() {
            // What parses prints a line that reads back to the same line
            // (figures are rounded to one decimal by the first print).
            let again = e.to_string();
            prop_assert_eq!(again.parse::<Event>().map(|e| e.to_string()), Ok(again.clone()));
        }
    }
}
