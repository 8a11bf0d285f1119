//! `cargo xtask vm-test` and `cargo xtask run`.
//!
//! The guest's `/init` (qemu/guest, test mode) reports on the serial
//! console in the lines of [`Event`] (crate `prctl-network-vm-protocol`);
//! [`Suite`] tallies them. A missing `VMTEST-DONE`, a `Kernel panic` line,
//! a kernel warning on the console, a line that does not parse or the
//! timeout are failures too.

use crate::cache;
use crate::host_deps;
use crate::kernel::config::Flavor;
use crate::kernel::{self, KernelOpts};
use crate::util::{fmt_dur, say, Result, Step};
use crate::vm::console::Console;
use crate::vm::initramfs;
use crate::vm::qemu;
use prctl_network_vm_protocol::{Event, Verdict};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct VmOpts {
    pub kernel: KernelOpts,
    pub cases: Option<u32>,
    pub filter: Option<String>,
    pub timeout: Option<u64>,
}

/// Console patterns that mean the kernel complained (`qemu/kernel-issues.txt`,
/// shared with the guest /init, which scans dmesg for the same list).
pub fn kernel_issues() -> impl Iterator<Item = &'static str> {
    include_str!("../../../qemu/kernel-issues.txt")
        .lines()
        .filter(|l| !l.is_empty())
}

pub fn run_interactive(kopts: &KernelOpts) -> Result<()> {
    let _lock = cache::lock()?;
    host_deps::ensure(&[host_deps::QEMU])?;
    let k = kernel::ensure(kopts)?;
    let init = initramfs::build(&k)?;
    let append = format!("{} pn.shell=1", qemu::base_append());
    say(
        "qemu",
        "interactive shell on the serial console; Ctrl-A X quits QEMU, `exit` reboots",
    );
    let st = qemu::command(&k.bzimage, &init.path, &append).status()?;
    say("qemu", format!("exited: {st}"));
    Ok(())
}

/// Returns Ok(true) when everything passed.
pub fn run(opts: &VmOpts) -> Result<bool> {
    let _lock = cache::lock()?;
    host_deps::ensure(&[host_deps::QEMU])?;
    let k = kernel::ensure(&opts.kernel)?;
    let init = initramfs::build(&k)?;
    let scale = if opts.kernel.flavor == Flavor::Debug {
        3
    } else {
        1
    };
    let timeout = opts.timeout.unwrap_or(900 * scale);
    let append = guest_append(opts, scale)?;
    let boots = opts.kernel.flavor.lsm_boots();
    let (mut passed, mut failed) = (0u64, 0u64);
    for boot in &boots {
        let (append, label) = match boot {
            None => (append.clone(), None),
            Some((label, lsm)) => {
                say("vm", format!("boot {label}: lsm={lsm}"));
                (format!("{append} lsm={lsm}"), Some(*label))
            }
        };
        let (p, f) = boot_suite(&k, &init.path, &append, timeout, label)?;
        passed += p;
        failed += f;
    }
    if boots.len() > 1 {
        println!(
            "vm-test: {passed} passed, {failed} failed ({} boots of the {} kernel)",
            boots.len(),
            opts.kernel.flavor.name()
        );
    }
    Ok(failed == 0)
}

/// The kernel command line of a test boot: the guest reads its `pn.*`
/// parameters (per-program timeout, proptest cases, filter, kmemleak).
fn guest_append(opts: &VmOpts, scale: u64) -> Result<String> {
    let mut append = format!("{} pn.timeout={}", qemu::base_append(), 300 * scale);
    if let Some(n) = opts.cases {
        append.push_str(&format!(" pn.cases={n}"));
    }
    if let Some(f) = &opts.filter {
        if f.contains(char::is_whitespace) || f.contains('"') {
            anyhow::bail!(
                "--filter cannot contain spaces or quotes (it travels on the kernel command line)"
            );
        }
        append.push_str(&format!(" pn.filter={f}"));
    }
    if opts.kernel.flavor == Flavor::Debug {
        append.push_str(" pn.kmemleak=1");
    }
    Ok(append)
}

/// What the kernel wrote on a console line: all of it, or, on a line with
/// a guest event (`tagged`), what comes before the tag — a kernel message
/// may precede a guest line, and the guest's own text (`kmemleak scan done:
/// 0 unreferenced object(s)`) must not read as a kernel complaint.
pub fn kernel_text(line: &str, tagged: bool) -> &str {
    if !tagged {
        return line;
    }
    let at = [line.find("VMTEST"), line.find("BENCH")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(line.len());
    &line[..at]
}

/// The verdicts of one boot, as the console reports them.
#[derive(Default)]
struct Suite {
    passed: u64,
    failed: u64,
    skipped: u64,
    /// the subjects of the failed tests
    failures: Vec<String>,
    /// the guest's `VMTEST-DONE` counts: passed, failed, skipped
    done: Option<(u64, u64, u64)>,
    panicked: bool,
    /// console lines matching qemu/kernel-issues.txt
    issues: Vec<String>,
    /// the guest's own kernel-log check failed (it reports the lines)
    guest_kernel_log_failed: bool,
    /// protocol lines that did not parse
    garbled: Vec<String>,
}

impl Suite {
    /// Takes one console line; prints what the user should see of it.
    fn take(&mut self, line: &str, elapsed: f64) {
        let event = Event::find(line);
        let kernel = kernel_text(line, event.is_some());
        if kernel.contains("Kernel panic") {
            self.panicked = true;
            println!("[console] {line}");
        }
        if kernel_issues().any(|p| kernel.contains(p)) {
            println!("[console] {line}");
            self.issues.push(line.to_string());
        }
        match event {
            Some(Ok(e)) => self.event(e, elapsed),
            Some(Err(e)) => {
                println!("[console] {line}");
                self.garbled.push(format!("{}: {line}", e.reason()));
            }
            None => {}
        }
    }

    fn event(&mut self, e: Event, elapsed: f64) {
        match e {
            Event::Test(t) => self.verdict(t.verdict, t.subject()),
            Event::KernelLog { clean } => {
                self.guest_kernel_log_failed |= !clean;
                let v = if clean { Verdict::Ok } else { Verdict::Fail };
                self.verdict(v, "kernel-log::clean [root]".to_string());
            }
            Event::Out { program, who, line } => println!("    {program} [{who}] | {line}"),
            Event::Run { program, who } => say(
                "vm",
                format!("{} running {program} [{who}]", fmt_dur(elapsed)),
            ),
            Event::Info(text) => say("vm", text),
            Event::Done {
                passed,
                failed,
                skipped,
            } => self.done = Some((passed, failed, skipped)),
            // A benchmark line has no business in a test boot.
            other => self.garbled.push(format!("not a test event: {other}")),
        }
    }

    fn verdict(&mut self, v: Verdict, subject: String) {
        match v {
            Verdict::Ok => {
                self.passed += 1;
                println!("ok   {subject}");
            }
            Verdict::Fail => {
                self.failed += 1;
                println!("FAIL {subject}");
                self.failures.push(subject);
            }
            Verdict::Skip => {
                self.skipped += 1;
                println!("skip {subject}");
            }
        }
    }

    /// What went wrong outside the tests: each counts as one failure.
    fn infra(&self, timed_out: bool, timeout: u64) -> Vec<String> {
        let mut infra = Vec::new();
        if timed_out {
            infra.push(format!(
                "timeout: the VM did not finish within {timeout}s (QEMU killed)"
            ));
        }
        if self.panicked {
            infra.push("kernel panic".to_string());
        }
        if self.done.is_none() && !timed_out {
            infra.push(
                "the VM stopped without VMTEST-DONE (init crashed or the kernel died)".to_string(),
            );
        }
        if !self.issues.is_empty() && !self.guest_kernel_log_failed {
            infra.push(format!(
                "{} kernel warning line(s) on the console (see above)",
                self.issues.len()
            ));
        }
        // The guest counted too: a verdict the host did not see (a line
        // lost or split on the console) must not vanish.
        if let Some(guest) = self.done {
            let host = (self.passed, self.failed, self.skipped);
            if guest != host {
                infra.push(format!(
                    "the guest counted passed={} failed={} skipped={}, the console showed passed={} failed={} skipped={}",
                    guest.0, guest.1, guest.2, host.0, host.1, host.2
                ));
            }
        }
        for g in &self.garbled {
            infra.push(format!("unparsable line from the guest ({g})"));
        }
        if self.passed + self.failed == 0 && infra.is_empty() {
            infra.push("no test ran in the VM".to_string());
        }
        infra
    }
}

/// One boot of the suite under `append`; its console log is
/// `run/console.log` (`run/console-<label>.log` for a labelled boot).
/// Returns (passed, failed), infrastructure failures counted as failed.
fn boot_suite(
    k: &kernel::Kernel,
    initrd: &std::path::Path,
    append: &str,
    timeout: u64,
    label: Option<&str>,
) -> Result<(u64, u64)> {
    let run_dir = cache::dir().join("run");
    std::fs::create_dir_all(&run_dir)?;
    let log_path = run_dir.join(match label {
        None => "console.log".to_string(),
        Some(l) => format!("console-{l}.log"),
    });
    let step = Step::start(
        "qemu",
        format!(
            "booting (timeout {timeout}s); console log: {}",
            log_path.display()
        ),
    );
    say("qemu", format!("-append \"{append}\""));
    let qemu = qemu::command(&k.bzimage, initrd, append);
    let mut console = Console::start(qemu, &log_path, Duration::from_secs(timeout))?;
    let mut suite = Suite::default();
    while let Some(line) = console.next_line()? {
        suite.take(&line, console.elapsed());
    }
    let status = console.finish()?;
    step.done(format!("qemu exited ({status})"));
    report(&suite, &console, timeout, label)
}

/// Prints the boot's failures and its verdict line; returns (passed, failed).
fn report(
    suite: &Suite,
    console: &Console,
    timeout: u64,
    label: Option<&str>,
) -> Result<(u64, u64)> {
    let infra = suite.infra(console.timed_out(), timeout);
    for f in &infra {
        println!("FAIL vm: {f}");
    }
    let log_path = console.log_path();
    if !infra.is_empty() && (console.timed_out() || suite.panicked || suite.done.is_none()) {
        println!("[qemu] last console lines ({}):", log_path.display());
        for l in console.tail() {
            println!("    {l}");
        }
    }
    let failed = suite.failed + infra.len() as u64;
    let passed = suite.passed;
    if let Some((p, f, s)) = suite.done {
        say(
            "vm",
            format!("guest summary: passed={p} failed={f} skipped={s}"),
        );
    }
    if !suite.failures.is_empty() {
        println!("failed tests:");
        for f in &suite.failures {
            println!("    {f}");
        }
    }
    say(
        "vm",
        format!(
            "{} skipped; console log {}",
            suite.skipped,
            log_path.display()
        ),
    );
    match label {
        None => println!("vm-test: {passed} passed, {failed} failed"),
        Some(l) => println!("vm-test [{l}]: {passed} passed, {failed} failed"),
    }
    Ok((passed, failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suite(lines: &[&str]) -> Suite {
        let mut s = Suite::default();
        for l in lines {
            s.take(l, 1.0);
        }
        s
    }

    #[test]
    fn verdicts_are_counted_after_console_noise() {
        let s = suite(&[
            "[    2.0] random: crng init done VMTEST ok model::a [root]",
            "VMTEST FAIL model::b [user] (timeout)",
            "VMTEST skip model::c [user]",
            "VMTEST ok kernel-log::clean [root]",
            "VMTEST-DONE passed=2 failed=1 skipped=1",
        ]);
        assert_eq!((s.passed, s.failed, s.skipped), (2, 1, 1));
        assert_eq!(s.failures, ["model::b [user] (timeout)"]);
        assert_eq!(s.done, Some((2, 1, 1)));
        assert!(s.infra(false, 9).is_empty());
    }

    #[test]
    fn a_verdict_lost_on_the_console_is_a_failure() {
        // A FAIL line split by a kernel message: the guest's count tells.
        let s = suite(&[
            "VMTEST ok model::a [root]",
            "VMTE",
            "ST FAIL model::b [root]",
            "VMTEST ok kernel-log::clean [root]",
            "VMTEST-DONE passed=2 failed=1 skipped=0",
        ]);
        assert_eq!((s.passed, s.failed), (2, 0));
        let infra = s.infra(false, 9);
        assert_eq!(infra.len(), 1, "{infra:?}");
        assert!(infra[0].contains("the guest counted"), "{infra:?}");
    }

    #[test]
    fn kernel_warnings_before_a_tag_count_the_guest_text_does_not() {
        let s = suite(&["[    3.0] WARNING: CPU: 0 PID: 1 at kernel/foo.c:1 VMTEST-INFO x"]);
        assert_eq!(s.issues.len(), 1);
        // The guest's kmemleak summary names a kernel-issues pattern.
        let s = suite(&["VMTEST-INFO kmemleak scan done: 0 unreferenced object(s)"]);
        assert!(s.issues.is_empty(), "{:?}", s.issues);
        assert!(kernel_issues().any(|p| "unreferenced object".contains(p)));
    }

    #[test]
    fn what_goes_wrong_outside_the_tests_fails() {
        // No DONE, a panic, a kernel warning and a garbled line.
        let s = suite(&[
            "VMTEST ok model::a [root]",
            "VMTEST ok model::b [sudo]",
            "[    3.0] WARNING: CPU: 0 PID: 1 at kernel/foo.c:1",
            "[    3.1] Kernel panic - not syncing: x",
        ]);
        let infra = s.infra(false, 9).join("\n");
        for want in [
            "kernel panic",
            "without VMTEST-DONE",
            "kernel warning",
            "unparsable",
        ] {
            assert!(infra.contains(want), "{want}: {infra}");
        }
        // The guest's own kernel-log failure reports the warnings itself.
        let s = suite(&[
            "[    3.0] WARNING: CPU: 0 PID: 1 at kernel/foo.c:1",
            "VMTEST FAIL kernel-log::clean [root]",
            "VMTEST-DONE passed=0 failed=1 skipped=0",
        ]);
        assert!(s.guest_kernel_log_failed && s.infra(false, 9).is_empty());
        assert!(suite(&[]).infra(true, 9)[0].contains("timeout"));
        assert_eq!(suite(&[]).infra(false, 9).len(), 1);
    }
}
