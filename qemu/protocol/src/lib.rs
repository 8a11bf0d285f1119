//! The console protocol of the prctl-network VMs: every line the guest's
//! `/init` (package `prctl-network-vm-guest`) prints for the host
//! (`cargo xtask vm-test`, `cargo xtask bench`) is one [`Event`].
//!
//! The guest formats an event with [`Display`](fmt::Display) and writes it
//! as one console line; the host finds it in the console output with
//! [`Event::find`] (kernel messages may precede the tag on the same line)
//! or parses a clean line with [`FromStr`]. Display then `FromStr` gives
//! the same value back (see the field constraints on each variant).
//!
//! # Lines
//!
//! Test runner (`cargo xtask vm-test`):
//!
//! ```text
//! VMTEST-RUN <program> [root|user]                        Event::Run
//! VMTEST ok|FAIL|skip <program>::<test> [root|user]       Event::Test
//! VMTEST FAIL <program>::<test> [root|user] (<reason>)    Event::Test, with a reason
//! VMTEST ok|FAIL kernel-log::clean [root]                 Event::KernelLog
//! VMTEST-OUT <program> [root|user] | <line>               Event::Out
//! VMTEST-INFO <text>                                      Event::Info
//! VMTEST-DONE passed=N failed=M skipped=K                 Event::Done
//! ```
//!
//! Benchmark (`cargo xtask bench`):
//!
//! ```text
//! BENCH boot=B state=S op=O round=R iters=I ticks_per_op=T ns_per_op=N   Event::Bench
//! BENCH-TSYNC boot=B mech=M set=S threads=N busy=0|1 round=R ticks=T asleep=A   Event::Tsync
//! BENCH-INFO <text>                                       Event::BenchInfo
//! BENCH-SKIP boot=B state=S reason=<text>                 Event::BenchSkip
//! BENCH-ERROR boot=B state=S op=O msg=<text>              Event::BenchError
//! BENCH-DONE boot=B ok=true|false secs=X                  Event::BenchDone
//! ```
//!
//! No field may contain a newline; the one-word fields (`boot=`, `state=`,
//! `op=`, `mech=`, `set=`, program names) contain no space.
//!
//! # Which lines carry verdicts
//!
//! Test runner: only `VMTEST <verdict> ...` lines ([`Event::Test`],
//! [`Event::KernelLog`]) are verdicts, one per test, and `VMTEST-DONE`
//! ([`Event::Done`]) carries the guest's own totals of them. A failure of
//! the VM's own setup that the tests depend on (a mount, `lo`, `dummy0`,
//! the CRNG, the kmemleak scan of a `pn.kmemleak=1` run) is a
//! `VMTEST FAIL init::<step> [root] (<reason>)` line, counted in `failed=`
//! like any other. `VMTEST-RUN`, `VMTEST-OUT` and `VMTEST-INFO` never
//! count: `VMTEST-OUT` relays a failing program's output (which may say
//! anything, the word `FAIL` included) and `VMTEST-INFO` is information
//! only (what was set up, figures a test reports without judging them).
//! The kernel log check `kernel-log::clean [root]` is only ever `ok` or
//! `FAIL`: `VMTEST skip kernel-log::clean ...` does not parse (a
//! [`ParseError`]), so the check cannot be skipped without an error.
//!
//! Benchmark: `BENCH-ERROR` ([`Event::BenchError`]) is a failure, of a
//! measurement or of the setup (`op=setup`), and `BENCH-DONE ok=false`
//! says the boot had one. `BENCH` and `BENCH-TSYNC` are measurements,
//! `BENCH-SKIP` a state this boot does not measure by design (the module
//! absent, Landlock too old), `BENCH-INFO` information only.
//!
//! ```
//! use prctl_network_vm_protocol::{Event, Verdict, Who};
//!
//! let line = "[    3.1] random: crng init done VMTEST ok nonet::denies_tcp [user]";
//! match Event::find(line) {
//!     Some(Ok(Event::Test(t))) => {
//!         assert_eq!((t.verdict, t.who), (Verdict::Ok, Who::User));
//!         assert_eq!(t.subject(), "nonet::denies_tcp [user]");
//!     }
//!     other => panic!("{other:?}"),
//! }
//! assert!(Event::find("no marker here").is_none());
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::fmt;
use std::str::FromStr;

/// Who a test program ran as: `root`, or `user` (uid/gid 1000).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Who {
    /// `root`
    Root,
    /// `user`: uid and gid 1000
    User,
}

impl Who {
    /// `"root"` or `"user"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Who::Root => "root",
            Who::User => "user",
        }
    }
}

impl fmt::Display for Who {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Who {
    type Err = ParseError;
    /// `root` or `user`.
    fn from_str(s: &str) -> Result<Who, ParseError> {
        match s {
            "root" => Ok(Who::Root),
            "user" => Ok(Who::User),
            _ => Err(ParseError::new(s, "not root or user")),
        }
    }
}

/// The verdict of one test: `ok`, `FAIL` or `skip`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// `ok`: passed
    Ok,
    /// `FAIL`: failed
    Fail,
    /// `skip`: ignored (libtest) or `# SKIP` (TAP)
    Skip,
}

impl Verdict {
    /// `"ok"`, `"FAIL"` or `"skip"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Fail => "FAIL",
            Verdict::Skip => "skip",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Verdict {
    type Err = ParseError;
    /// `ok`, `FAIL` or `skip`.
    fn from_str(s: &str) -> Result<Verdict, ParseError> {
        match s {
            "ok" => Ok(Verdict::Ok),
            "FAIL" => Ok(Verdict::Fail),
            "skip" => Ok(Verdict::Skip),
            _ => Err(ParseError::new(s, "not ok, FAIL or skip")),
        }
    }
}

/// One test's verdict: `VMTEST <verdict> <program>::<test> [<who>]`,
/// followed by ` (<reason>)` when there is a reason.
///
/// `program` contains neither `::`, a space nor a newline (it is a file
/// name under /tests); `test` is not empty and does not contain ` [root]`
/// or ` [user]`. The program `kernel-log` with the test `clean` as root and
/// no reason is [`Event::KernelLog`], not a `TestResult`; with the verdict
/// `skip` it is not in the protocol at all (`kernel-log::clean` is never
/// skipped: such a line is a [`ParseError`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestResult {
    /// `ok`, `FAIL` or `skip`
    pub verdict: Verdict,
    /// the program's file name, or `init` for the VM's own setup
    pub program: String,
    /// the libtest or TAP test name, or `<program>` for the program as a
    /// whole (a crash, a timeout, a non-zero exit without a failed test)
    pub test: String,
    /// root or uid 1000
    pub who: Who,
    /// why, for failures the test output does not explain
    pub reason: Option<String>,
}

impl TestResult {
    /// What follows `VMTEST <verdict> `: `<program>::<test> [<who>]`, plus
    /// ` (<reason>)` when there is a reason.
    pub fn subject(&self) -> String {
        let mut s = format!("{}::{} [{}]", self.program, self.test, self.who);
        if let Some(r) = &self.reason {
            s.push_str(&format!(" ({r})"));
        }
        s
    }
}

/// One op measurement of the benchmark:
/// `BENCH boot=B state=S op=O round=R iters=I ticks_per_op=T ns_per_op=N`,
/// the two figures with one decimal.
///
/// Display rounds the figures to one decimal, so a value read back equals
/// the one written when its figures are already what one decimal reads as
/// (as every parsed value is).
#[derive(Clone, Debug, PartialEq)]
pub struct BenchSample {
    /// the boot label (`A1`, `B1`, `SA2`, ...; `-` when not given)
    pub boot: String,
    /// the state letter, `a` to `e`
    pub state: char,
    /// the op name (`null`, `socket_close`, ...)
    pub op: String,
    /// the round, from 0
    pub round: u32,
    /// timed iterations
    pub iters: u64,
    /// TSC ticks per op
    pub ticks_per_op: f64,
    /// the same in nanoseconds (the boot's calibration)
    pub ns_per_op: f64,
}

/// One TSYNC sample of the benchmark:
/// `BENCH-TSYNC boot=B mech=M set=S threads=N busy=0|1 round=R ticks=T asleep=A`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TsyncSample {
    /// the boot label
    pub boot: String,
    /// `prctl` or `seccomp`
    pub mech: String,
    /// the sibling thread set, `256s` (sleeping) or `16b` (busy)
    pub set: String,
    /// sibling threads
    pub threads: usize,
    /// the siblings spin in user space (`busy=1`) instead of sleeping
    pub busy: bool,
    /// the round, from 0
    pub round: u32,
    /// TSC ticks of the one call
    pub ticks: u64,
    /// siblings seen asleep before the call
    pub asleep: usize,
}

/// One console line of the protocol (see the [crate docs](crate) for all
/// formats at a glance).
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// `VMTEST-RUN <program> [<who>]`: a test program starts.
    Run {
        /// the program's file name (no space, no ` [`)
        program: String,
        /// root or uid 1000
        who: Who,
    },
    /// `VMTEST <verdict> <program>::<test> [<who>]` or
    /// `VMTEST <verdict> <program>::<test> [<who>] (<reason>)`: one test's
    /// verdict.
    Test(TestResult),
    /// `VMTEST ok kernel-log::clean [root]` or
    /// `VMTEST FAIL kernel-log::clean [root]`: the guest's check of the
    /// kernel log after all tests (the report follows as
    /// `VMTEST-OUT kernel-log [root] | ...` lines).
    KernelLog {
        /// no kernel complaint (and no kmemleak report)
        clean: bool,
    },
    /// `VMTEST-OUT <program> [<who>] | <line>`: output of a failing program
    /// (or of the kernel log check, program `kernel-log`), one line each;
    /// the line is arbitrary text and never a verdict.
    Out {
        /// the program's file name (no space, no ` | `)
        program: String,
        /// root or uid 1000
        who: Who,
        /// the output line (may be empty)
        line: String,
    },
    /// `VMTEST-INFO <text>`: information only, never a verdict (a failure
    /// is a `VMTEST FAIL` line, see the [crate docs](crate)); the text is
    /// arbitrary.
    Info(String),
    /// `VMTEST-DONE passed=N failed=M skipped=K`: the test run is over.
    Done {
        /// tests that passed (the kernel log check included)
        passed: u64,
        /// tests that failed (crashed programs and setup failures included)
        failed: u64,
        /// tests skipped
        skipped: u64,
    },
    /// `BENCH boot=B state=S op=O round=R iters=I ticks_per_op=T ns_per_op=N`
    Bench(BenchSample),
    /// `BENCH-TSYNC boot=B mech=M set=S threads=N busy=0|1 round=R ticks=T asleep=A`
    Tsync(TsyncSample),
    /// `BENCH-INFO <text>`: the boot's facts (`boot=B module=... tsc_ghz=...`),
    /// information only (a setup failure is `BENCH-ERROR ... op=setup`).
    BenchInfo(String),
    /// `BENCH-SKIP boot=B state=S reason=<text>`: a state (or `tsync`) not
    /// measured in this boot.
    BenchSkip {
        /// the boot label
        boot: String,
        /// the state letter, or `tsync`
        state: String,
        /// why
        reason: String,
    },
    /// `BENCH-ERROR boot=B state=S op=O msg=<text>`: a measurement or the
    /// setup failed.
    BenchError {
        /// the boot label (`-` when the arguments give none or do not parse)
        boot: String,
        /// the state letter, `tsync` or `-`
        state: String,
        /// the op, or the step (`setup`, `restrict`, `fork`, `child`, `args`, ...)
        op: String,
        /// the message
        msg: String,
    },
    /// `BENCH-DONE boot=B ok=true|false secs=X`: the benchmark is over, `X`
    /// seconds of measuring with one decimal.
    BenchDone {
        /// the boot label
        boot: String,
        /// no error in this boot
        ok: bool,
        /// seconds of measuring (rounded to one decimal by Display)
        secs: f64,
    },
}

/// Every tag, the first word of a line.
const TAGS: [&str; 11] = [
    "VMTEST",
    "VMTEST-RUN",
    "VMTEST-OUT",
    "VMTEST-INFO",
    "VMTEST-DONE",
    "BENCH",
    "BENCH-TSYNC",
    "BENCH-INFO",
    "BENCH-SKIP",
    "BENCH-ERROR",
    "BENCH-DONE",
];

impl Event {
    /// The line's first word: `VMTEST`, `VMTEST-RUN`, `VMTEST-OUT`,
    /// `VMTEST-INFO`, `VMTEST-DONE`, `BENCH`, `BENCH-TSYNC`, `BENCH-INFO`,
    /// `BENCH-SKIP`, `BENCH-ERROR` or `BENCH-DONE`.
    pub fn tag(&self) -> &'static str {
        match self {
            Event::Run { .. } => "VMTEST-RUN",
            Event::Test(_) | Event::KernelLog { .. } => "VMTEST",
            Event::Out { .. } => "VMTEST-OUT",
            Event::Info(_) => "VMTEST-INFO",
            Event::Done { .. } => "VMTEST-DONE",
            Event::Bench(_) => "BENCH",
            Event::Tsync(_) => "BENCH-TSYNC",
            Event::BenchInfo(_) => "BENCH-INFO",
            Event::BenchSkip { .. } => "BENCH-SKIP",
            Event::BenchError { .. } => "BENCH-ERROR",
            Event::BenchDone { .. } => "BENCH-DONE",
        }
    }

    /// The event in a console line that may carry other text (kernel
    /// messages) before the tag: `None` when the line has no tag (a word
    /// `VMTEST...` or `BENCH...` that is not one of the tags, such as
    /// `BENCHMARK`, does not count), `Some(Err)` when the text from the
    /// first tag on does not parse. A trailing `\r` is ignored.
    ///
    /// ```
    /// use prctl_network_vm_protocol::Event;
    ///
    /// let e = Event::find("[  1.0] x VMTEST-DONE passed=3 failed=0 skipped=1");
    /// assert_eq!(e, Some(Ok(Event::Done { passed: 3, failed: 0, skipped: 1 })));
    /// assert!(Event::find("BENCHMARK of something").is_none());
    /// assert!(matches!(Event::find("BENCH boot=B1 state=b"), Some(Err(_))));
    /// ```
    pub fn find(line: &str) -> Option<Result<Event, ParseError>> {
        let line = line.trim_end_matches(['\r', '\n']);
        let mut from = 0;
        while from < line.len() {
            let rest = &line[from..];
            let at = [rest.find("VMTEST"), rest.find("BENCH")]
                .into_iter()
                .flatten()
                .min()?;
            let text = &rest[at..];
            let tag = text.split(' ').next().unwrap_or(text);
            if TAGS.contains(&tag) {
                return Some(text.parse());
            }
            from += at + 1;
        }
        None
    }
}

impl fmt::Display for Event {
    /// Exactly the console line, without the newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tag = self.tag();
        match self {
            Event::Run { program, who } => write!(f, "{tag} {program} [{who}]"),
            Event::Test(t) => write!(f, "{tag} {} {}", t.verdict, t.subject()),
            Event::KernelLog { clean } => {
                let v = if *clean { Verdict::Ok } else { Verdict::Fail };
                write!(f, "{tag} {v} kernel-log::clean [root]")
            }
            Event::Out { program, who, line } => write!(f, "{tag} {program} [{who}] | {line}"),
            Event::Info(text) | Event::BenchInfo(text) => write!(f, "{tag} {text}"),
            Event::Done {
                passed,
                failed,
                skipped,
            } => write!(f, "{tag} passed={passed} failed={failed} skipped={skipped}"),
            Event::Bench(s) => write!(
                f,
                "{tag} boot={} state={} op={} round={} iters={} ticks_per_op={:.1} ns_per_op={:.1}",
                s.boot, s.state, s.op, s.round, s.iters, s.ticks_per_op, s.ns_per_op
            ),
            Event::Tsync(t) => write!(
                f,
                "{tag} boot={} mech={} set={} threads={} busy={} round={} ticks={} asleep={}",
                t.boot,
                t.mech,
                t.set,
                t.threads,
                u8::from(t.busy),
                t.round,
                t.ticks,
                t.asleep
            ),
            Event::BenchSkip {
                boot,
                state,
                reason,
            } => write!(f, "{tag} boot={boot} state={state} reason={reason}"),
            Event::BenchError {
                boot,
                state,
                op,
                msg,
            } => write!(f, "{tag} boot={boot} state={state} op={op} msg={msg}"),
            Event::BenchDone { boot, ok, secs } => {
                write!(f, "{tag} boot={boot} ok={ok} secs={secs:.1}")
            }
        }
    }
}

impl FromStr for Event {
    type Err = ParseError;

    /// A line that starts with its tag (no newline; see [`Event::find`] for
    /// console lines with other text before the tag).
    fn from_str(line: &str) -> Result<Event, ParseError> {
        let bad = |what: &str| ParseError::new(line, what);
        let (tag, body) = line
            .split_once(' ')
            .ok_or_else(|| bad("no space after the tag"))?;
        match tag {
            "VMTEST" => parse_verdict(body).map_err(bad),
            "VMTEST-RUN" => {
                let (program, who) =
                    program_who(body).ok_or_else(|| bad("not <program> [<who>]"))?;
                Ok(Event::Run { program, who })
            }
            "VMTEST-OUT" => {
                let (head, out) = body.split_once(" | ").ok_or_else(|| bad("no ` | `"))?;
                let (program, who) =
                    program_who(head).ok_or_else(|| bad("not <program> [<who>] | <line>"))?;
                Ok(Event::Out {
                    program,
                    who,
                    line: out.to_string(),
                })
            }
            "VMTEST-INFO" => Ok(Event::Info(body.to_string())),
            "VMTEST-DONE" => {
                let mut f = Fields::new(body, line);
                let ev = Event::Done {
                    passed: f.num("passed")?,
                    failed: f.num("failed")?,
                    skipped: f.num("skipped")?,
                };
                f.end().map(|()| ev)
            }
            "BENCH" => {
                let mut f = Fields::new(body, line);
                let s = BenchSample {
                    boot: f.word("boot")?.to_string(),
                    state: f.letter("state")?,
                    op: f.word("op")?.to_string(),
                    round: f.num("round")?,
                    iters: f.num("iters")?,
                    ticks_per_op: f.num("ticks_per_op")?,
                    ns_per_op: f.num("ns_per_op")?,
                };
                f.end().map(|()| Event::Bench(s))
            }
            "BENCH-TSYNC" => {
                let mut f = Fields::new(body, line);
                let t = TsyncSample {
                    boot: f.word("boot")?.to_string(),
                    mech: f.word("mech")?.to_string(),
                    set: f.word("set")?.to_string(),
                    threads: f.num("threads")?,
                    busy: match f.word("busy")? {
                        "0" => false,
                        "1" => true,
                        _ => return Err(bad("busy= is not 0 or 1")),
                    },
                    round: f.num("round")?,
                    ticks: f.num("ticks")?,
                    asleep: f.num("asleep")?,
                };
                f.end().map(|()| Event::Tsync(t))
            }
            "BENCH-INFO" => Ok(Event::BenchInfo(body.to_string())),
            "BENCH-SKIP" => {
                let mut f = Fields::new(body, line);
                Ok(Event::BenchSkip {
                    boot: f.word("boot")?.to_string(),
                    state: f.word("state")?.to_string(),
                    reason: f.rest("reason")?.to_string(),
                })
            }
            "BENCH-ERROR" => {
                let mut f = Fields::new(body, line);
                Ok(Event::BenchError {
                    boot: f.word("boot")?.to_string(),
                    state: f.word("state")?.to_string(),
                    op: f.word("op")?.to_string(),
                    msg: f.rest("msg")?.to_string(),
                })
            }
            "BENCH-DONE" => {
                let mut f = Fields::new(body, line);
                let ev = Event::BenchDone {
                    boot: f.word("boot")?.to_string(),
                    ok: f.num("ok")?,
                    secs: f.num("secs")?,
                };
                f.end().map(|()| ev)
            }
            _ => Err(bad("unknown tag")),
        }
    }
}

/// `<verdict> <program>::<test> [<who>]( (<reason>))?` after `VMTEST `;
/// the error says what is wrong.
fn parse_verdict(body: &str) -> Result<Event, &'static str> {
    const SHAPE: &str = "not <verdict> <program>::<test> [<who>]";
    let (verdict, subject) = body.split_once(' ').ok_or(SHAPE)?;
    let verdict: Verdict = verdict.parse().map_err(|_| SHAPE)?;
    let (program, rest) = subject.split_once("::").ok_or(SHAPE)?;
    if program.is_empty() || program.contains(' ') {
        return Err(SHAPE);
    }
    // The first ` [root]`/` [user]` that ends the line or opens ` (...)`.
    for (i, _) in rest.match_indices(" [") {
        let Some((who, tail)) = [Who::Root, Who::User].into_iter().find_map(|w| {
            rest[i..]
                .strip_prefix(&format!(" [{w}]"))
                .map(|tail| (w, tail))
        }) else {
            continue;
        };
        let reason = if tail.is_empty() {
            None
        } else if let Some(r) = tail.strip_prefix(" (").and_then(|t| t.strip_suffix(')')) {
            Some(r.to_string())
        } else {
            continue;
        };
        let test = &rest[..i];
        if test.is_empty() {
            return Err(SHAPE);
        }
        if (program, test) == ("kernel-log", "clean") {
            // The kernel log check is never skipped: a skip would let a run
            // without it pass.
            match (verdict, who, &reason) {
                (Verdict::Skip, ..) => return Err("kernel-log::clean is only ever ok or FAIL"),
                (Verdict::Ok, Who::Root, None) => return Ok(Event::KernelLog { clean: true }),
                (Verdict::Fail, Who::Root, None) => return Ok(Event::KernelLog { clean: false }),
                _ => {}
            }
        }
        return Ok(Event::Test(TestResult {
            verdict,
            program: program.to_string(),
            test: test.to_string(),
            who,
            reason,
        }));
    }
    Err(SHAPE)
}

/// `<program> [<who>]`.
fn program_who(s: &str) -> Option<(String, Who)> {
    let (program, who) = s.strip_suffix(']')?.rsplit_once(" [")?;
    if program.is_empty() || program.contains(' ') {
        return None;
    }
    Some((program.to_string(), who.parse().ok()?))
}

/// `key=value` words in a fixed order.
struct Fields<'a> {
    rest: &'a str,
    line: &'a str,
}

impl<'a> Fields<'a> {
    fn new(rest: &'a str, line: &'a str) -> Fields<'a> {
        Fields { rest, line }
    }

    fn err(&self, what: String) -> ParseError {
        ParseError::new(self.line, &what)
    }

    /// The value of `key=` up to the next space (which is consumed).
    fn word(&mut self, key: &str) -> Result<&'a str, ParseError> {
        let value = self.value(key)?;
        let (word, rest) = value.split_once(' ').unwrap_or((value, ""));
        self.rest = rest;
        Ok(word)
    }

    /// The value of `key=`: the rest of the line.
    fn rest(&mut self, key: &str) -> Result<&'a str, ParseError> {
        let value = self.value(key)?;
        self.rest = "";
        Ok(value)
    }

    fn value(&self, key: &str) -> Result<&'a str, ParseError> {
        self.rest
            .strip_prefix(key)
            .and_then(|r| r.strip_prefix('='))
            .ok_or_else(|| self.err(format!("expected {key}=")))
    }

    fn num<T: FromStr>(&mut self, key: &str) -> Result<T, ParseError> {
        let w = self.word(key)?;
        w.parse()
            .map_err(|_| self.err(format!("{key}={w} is not a valid value")))
    }

    fn letter(&mut self, key: &str) -> Result<char, ParseError> {
        let w = self.word(key)?;
        let mut c = w.chars();
        match (c.next(), c.next()) {
            (Some(l), None) => Ok(l),
            _ => Err(self.err(format!("{key}={w} is not one letter"))),
        }
    }

    fn end(self) -> Result<(), ParseError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(self.err(format!("unexpected {:?}", self.rest)))
        }
    }
}

/// A line, or a field of one, that is not in the protocol's format.
///
/// Displays as `unparsable line "<line>"` (the text the host printed for a
/// malformed `BENCH` line before this crate); [`ParseError::reason`] says
/// what was wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    line: String,
    reason: String,
}

impl ParseError {
    fn new(line: &str, reason: &str) -> ParseError {
        ParseError {
            line: line.to_string(),
            reason: reason.to_string(),
        }
    }

    /// The text that did not parse (from the tag on).
    pub fn line(&self) -> &str {
        &self.line
    }

    /// What was wrong with it.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unparsable line {:?}", self.line)
    }
}

impl std::error::Error for ParseError {}

#[cfg(test)]
mod tests;
