//! `cargo xtask vm-test` and `cargo xtask run`.
//!
//! Guest/host protocol (console lines written by qemu/init):
//!
//! ```text
//! VMTEST-RUN <program> [root|user]        a program starts
//! VMTEST ok|FAIL|skip <program>::<test> [root|user]
//! VMTEST-OUT <program> [who] | <line>     output of a failing program
//! VMTEST-INFO <text>
//! VMTEST-DONE passed=N failed=M skipped=K
//! ```
//!
//! Missing DONE, a `Kernel panic` line or the timeout are failures too.

use crate::cache;
use crate::host_deps;
use crate::kernel::config::Flavor;
use crate::kernel::{self, KernelOpts};
use crate::util::{fmt_dur, say, Result, Step};
use crate::vm::initramfs;
use crate::vm::qemu;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

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

    let boots = opts.kernel.flavor.lsm_boots();
    let (mut passed, mut failed) = (0u64, 0u64);
    for boot in &boots {
        let (append, label) = match boot {
            None => (append.clone(), None),
            Some((label, lsm)) => (format!("{append} lsm={lsm}"), Some(*label)),
        };
        if let Some((label, lsm)) = boot {
            say("vm", format!("boot {label}: lsm={lsm}"));
        }
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
    let mut log = std::fs::File::create(&log_path)?;
    let step = Step::start(
        "qemu",
        format!(
            "booting (timeout {timeout}s); console log: {}",
            log_path.display()
        ),
    );
    say("qemu", format!("-append \"{append}\""));

    let (reader, writer) = std::io::pipe()?;
    let mut cmd = qemu::command(&k.bzimage, initrd, append);
    cmd.stdin(Stdio::null())
        .stdout(writer.try_clone()?)
        .stderr(writer);
    let mut child = cmd.spawn()?;
    drop(cmd);
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        let mut r = BufReader::new(reader);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match r.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let s = String::from_utf8_lossy(&buf)
                        .trim_end_matches(['\n', '\r'])
                        .replace('\r', "");
                    if tx.send(s).is_err() {
                        break;
                    }
                }
            }
        }
    });

    let start = Instant::now();
    let deadline = start + Duration::from_secs(timeout);
    let mut last: VecDeque<String> = VecDeque::new();
    let (mut passed, mut failed, mut skipped) = (0u64, 0u64, 0u64);
    let mut failures: Vec<String> = Vec::new();
    let mut done: Option<String> = None;
    let mut panicked = false;
    let mut timed_out = false;
    let mut issues: Vec<String> = Vec::new();
    let mut guest_kernel_log_failed = false;
    loop {
        let now = Instant::now();
        if now >= deadline {
            timed_out = true;
            break;
        }
        let line = match rx.recv_timeout(deadline - now) {
            Ok(l) => l,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                timed_out = true;
                break;
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        };
        writeln!(log, "{line}")?;
        last.push_back(line.clone());
        if last.len() > 40 {
            last.pop_front();
        }
        // The VMTEST marker may follow kernel noise on the same line.
        let l = match line.find("VMTEST") {
            Some(i) => &line[i..],
            None => line.as_str(),
        };
        if let Some(rest) = l.strip_prefix("VMTEST ok ") {
            passed += 1;
            println!("ok   {rest}");
        } else if let Some(rest) = l.strip_prefix("VMTEST FAIL ") {
            failed += 1;
            if rest.starts_with("kernel-log") {
                guest_kernel_log_failed = true;
            }
            failures.push(rest.to_string());
            println!("FAIL {rest}");
        } else if let Some(rest) = l.strip_prefix("VMTEST skip ") {
            skipped += 1;
            println!("skip {rest}");
        } else if let Some(rest) = l.strip_prefix("VMTEST-OUT ") {
            println!("    {rest}");
        } else if let Some(rest) = l.strip_prefix("VMTEST-RUN ") {
            say(
                "vm",
                format!("{} running {rest}", fmt_dur(start.elapsed().as_secs_f64())),
            );
        } else if let Some(rest) = l.strip_prefix("VMTEST-INFO ") {
            say("vm", rest);
        } else if let Some(rest) = l.strip_prefix("VMTEST-DONE ") {
            done = Some(rest.to_string());
        } else {
            if line.contains("Kernel panic") {
                panicked = true;
                println!("[console] {line}");
            }
            if kernel_issues().any(|p| line.contains(p)) {
                println!("[console] {line}");
                issues.push(line.clone());
            }
        }
    }
    if timed_out {
        let _ = child.kill(); // our own QEMU child, by pid
    }
    let status = child.wait()?;
    step.done(format!("qemu exited ({status})"));

    let mut infra: Vec<String> = Vec::new();
    if timed_out {
        infra.push(format!(
            "timeout: the VM did not finish within {timeout}s (QEMU killed)"
        ));
    }
    if panicked {
        infra.push("kernel panic".to_string());
    }
    if done.is_none() && !timed_out {
        infra.push(
            "the VM stopped without VMTEST-DONE (init crashed or the kernel died)".to_string(),
        );
    }
    if !issues.is_empty() && !guest_kernel_log_failed {
        infra.push(format!(
            "{} kernel warning line(s) on the console (see above)",
            issues.len()
        ));
    }
    if passed + failed == 0 && infra.is_empty() {
        infra.push("no test ran in the VM".to_string());
    }
    for f in &infra {
        println!("FAIL vm: {f}");
    }
    if !infra.is_empty() && (timed_out || panicked || done.is_none()) {
        println!("[qemu] last console lines ({}):", log_path.display());
        for l in &last {
            println!("    {l}");
        }
    }
    failed += infra.len() as u64;
    if let Some(d) = &done {
        say("vm", format!("guest summary: {d}"));
    }
    if !failures.is_empty() {
        println!("failed tests:");
        for f in &failures {
            println!("    {f}");
        }
    }
    say(
        "vm",
        format!("{skipped} skipped; console log {}", log_path.display()),
    );
    match label {
        None => println!("vm-test: {passed} passed, {failed} failed"),
        Some(l) => println!("vm-test [{l}]: {passed} passed, {failed} failed"),
    }
    Ok((passed, failed))
}
