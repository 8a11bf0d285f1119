//! Test mode (`cargo xtask vm-test`, `cargo xtask run`): runs every
//! program under /tests as root and then as uid/gid 1000 with a per-program
//! timeout; reports one `VMTEST ok|FAIL|skip <program>::<test> [root|user]`
//! console line per test, the output of failing programs as `VMTEST-OUT`
//! lines, checks the kernel log and prints `VMTEST-DONE passed=N failed=M
//! skipped=K`.
//!
//! Kernel command line options:
//!   pn.shell=1      interactive /bin/sh instead of the tests (`cargo xtask run`)
//!   pn.filter=S     libtest filter S (unless the program name contains S);
//!                   kselftest programs run only if their name contains S
//!   pn.cases=N      PROPTEST_CASES=N for the tests
//!   pn.timeout=S    per-program timeout in seconds (default 300)
//!   pn.kmemleak=1   trigger a kmemleak scan at the end and report leaks
//!
//! Every failure is a `VMTEST FAIL` line counted in `VMTEST-DONE failed=`,
//! never a `VMTEST-INFO` line: a setup step the tests depend on (a mount,
//! the CRNG, `lo`, `dummy0`, /dev/net/tun's mode, /root, the kmemleak scan)
//! as `init::<step> [root]`, a program that exits as if it passed but
//! leaves no result to count (no TAP line; no libtest result unless
//! `pn.filter` narrowed the run or libtest ran 0 tests) as
//! `<program>::<program> [who]`.

use crate::pid1::{self, cstr, emit, Mount};
use prctl_network_vm_protocol::{Event, TestResult, Verdict, Who};
use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const USER_ID: u32 = 1000;

fn info(text: impl Into<String>) {
    emit(&Event::Info(text.into()));
}

fn verdict(
    verdict: Verdict,
    program: &str,
    test: &str,
    who: Who,
    reason: Option<String>,
) -> TestResult {
    TestResult {
        verdict,
        program: program.to_string(),
        test: test.to_string(),
        who,
        reason,
    }
}

/// A failed setup step of the VM: `VMTEST FAIL init::<step> [root] (<reason>)`.
fn init_failure(step: &str, reason: impl Into<String>) -> TestResult {
    verdict(Verdict::Fail, "init", step, Who::Root, Some(reason.into()))
}

struct Opts {
    shell: bool,
    filter: Option<String>,
    cases: Option<String>,
    timeout: Duration,
    kmemleak: bool,
}

fn parse_cmdline() -> Opts {
    let cmdline = std::fs::read_to_string("/proc/cmdline").unwrap_or_default();
    let mut o = Opts {
        shell: false,
        filter: None,
        cases: None,
        timeout: Duration::from_secs(300),
        kmemleak: false,
    };
    for w in cmdline.split_whitespace() {
        let Some((k, v)) = w.split_once('=') else {
            continue;
        };
        match k {
            "pn.shell" => o.shell = v == "1",
            "pn.filter" => o.filter = Some(v.to_string()).filter(|v| !v.is_empty()),
            "pn.cases" => o.cases = Some(v.to_string()),
            "pn.timeout" => {
                if let Ok(n) = v.parse() {
                    o.timeout = Duration::from_secs(n)
                }
            }
            "pn.kmemleak" => o.kmemleak = v == "1",
            _ => {}
        }
    }
    o
}

fn run_shell() {
    info("pn.shell=1: starting /bin/sh (tests in /tests, binaries in /usr/bin; `exit` reboots)");
    // SAFETY: fork/exec; the child only calls async-signal-safe functions.
    unsafe {
        let pid = libc::fork();
        if pid == 0 {
            libc::setsid();
            libc::ioctl(0, libc::TIOCSCTTY, 1);
            let sh = cstr("/bin/sh");
            let argv = [sh.as_ptr(), std::ptr::null()];
            let env: Vec<CString> = [
                "PATH=/usr/bin:/bin",
                "HOME=/root",
                "TERM=vt100",
                "PRCTL_NETWORK_VM=1",
            ]
            .iter()
            .map(|s| cstr(s))
            .collect();
            let mut envp: Vec<*const libc::c_char> = env.iter().map(|s| s.as_ptr()).collect();
            envp.push(std::ptr::null());
            libc::chdir(c"/root".as_ptr());
            libc::execve(sh.as_ptr(), argv.as_ptr(), envp.as_ptr());
            libc::_exit(127);
        }
        let mut st = 0;
        while libc::waitpid(pid, &mut st, 0) < 0 {}
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Rust,
    Kselftest,
}

enum Exit {
    Code(i32),
    Signal(i32),
    Timeout,
    SpawnFailed(String),
}

/// fork + exec with stdout/stderr into a pipe, optional drop to uid 1000,
/// a deadline after which the whole process group is SIGKILLed.
fn run_program(
    path: &Path,
    args: &[String],
    user: bool,
    env: &[String],
    timeout: Duration,
) -> (Vec<u8>, Exit) {
    let prog = cstr(&path.to_string_lossy());
    let argv_c: Vec<CString> = std::iter::once(prog.clone())
        .chain(args.iter().map(|a| cstr(a)))
        .collect();
    let mut argv: Vec<*const libc::c_char> = argv_c.iter().map(|s| s.as_ptr()).collect();
    argv.push(std::ptr::null());
    let env_c: Vec<CString> = env.iter().map(|e| cstr(e)).collect();
    let mut envp: Vec<*const libc::c_char> = env_c.iter().map(|s| s.as_ptr()).collect();
    envp.push(std::ptr::null());
    let mut fds = [0; 2];
    // SAFETY: pipe2 into a 2-int array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return (
            Vec::new(),
            Exit::SpawnFailed(format!("pipe2: {}", std::io::Error::last_os_error())),
        );
    }
    let (rfd, wfd) = (fds[0], fds[1]);
    let home = if user { c"/tmp" } else { c"/root" };
    // SAFETY: between fork and exec the child only uses async-signal-safe calls
    // on memory prepared before the fork.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        unsafe {
            libc::setpgid(0, 0);
            let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY);
            libc::dup2(null, 0);
            libc::dup2(wfd, 1);
            libc::dup2(wfd, 2);
            if user
                && (libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setgid(USER_ID) != 0
                    || libc::setuid(USER_ID) != 0)
            {
                libc::_exit(126);
            }
            libc::chdir(if user {
                c"/tmp".as_ptr()
            } else {
                home.as_ptr()
            });
            libc::execve(prog.as_ptr(), argv.as_ptr(), envp.as_ptr());
            libc::_exit(127);
        }
    }
    unsafe { libc::close(wfd) };
    if pid < 0 {
        unsafe { libc::close(rfd) };
        return (
            Vec::new(),
            Exit::SpawnFailed(format!("fork: {}", std::io::Error::last_os_error())),
        );
    }
    let deadline = Instant::now() + timeout;
    let mut out = Vec::new();
    let mut buf = vec![0u8; 65536];
    let mut status: Option<i32> = None;
    let mut eof = false;
    let mut timed_out = false;
    loop {
        if !eof {
            let mut pfd = libc::pollfd {
                fd: rfd,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            let n = unsafe { libc::poll(&mut pfd, 1, 100) };
            if n > 0 {
                // SAFETY: reading into our buffer.
                let r = unsafe { libc::read(rfd, buf.as_mut_ptr().cast(), buf.len()) };
                if r > 0 {
                    out.extend_from_slice(&buf[..r as usize]);
                    continue;
                } else if r == 0 {
                    eof = true;
                }
            }
        } else {
            std::thread::sleep(Duration::from_millis(50));
        }
        if status.is_none() {
            let mut st = 0;
            // SAFETY: waiting for our own child.
            if unsafe { libc::waitpid(pid, &mut st, libc::WNOHANG) } == pid {
                status = Some(st);
            }
        }
        if let Some(_st) = status {
            // Child gone: drain what is buffered, then stop (grandchildren
            // holding the pipe open must not keep us waiting).
            if !eof {
                loop {
                    let mut pfd = libc::pollfd {
                        fd: rfd,
                        events: libc::POLLIN,
                        revents: 0,
                    };
                    if unsafe { libc::poll(&mut pfd, 1, 200) } <= 0 {
                        break;
                    }
                    let r = unsafe { libc::read(rfd, buf.as_mut_ptr().cast(), buf.len()) };
                    if r <= 0 {
                        break;
                    }
                    out.extend_from_slice(&buf[..r as usize]);
                }
            }
            break;
        }
        if Instant::now() >= deadline {
            timed_out = true;
            unsafe { libc::kill(-pid, libc::SIGKILL) };
            unsafe { libc::kill(pid, libc::SIGKILL) };
            let mut st = 0;
            unsafe { libc::waitpid(pid, &mut st, 0) };
            break;
        }
    }
    // Kill leftovers of the program's process group and reap every zombie
    // (PID 1 inherits orphans).
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
        libc::close(rfd);
        let mut st = 0;
        while libc::waitpid(-1, &mut st, libc::WNOHANG) > 0 {}
    }
    if timed_out {
        return (out, Exit::Timeout);
    }
    let st = status.unwrap_or(0);
    if libc::WIFSIGNALED(st) {
        (out, Exit::Signal(libc::WTERMSIG(st)))
    } else {
        (out, Exit::Code(libc::WEXITSTATUS(st)))
    }
}

#[derive(Default, Debug, PartialEq)]
struct Totals {
    passed: u64,
    failed: u64,
    skipped: u64,
}

impl Totals {
    /// Counts one verdict.
    fn count(&mut self, v: Verdict) {
        match v {
            Verdict::Ok => self.passed += 1,
            Verdict::Skip => self.skipped += 1,
            Verdict::Fail => self.failed += 1,
        }
    }

    /// Counts one verdict and prints its `VMTEST` line.
    fn report(&mut self, t: TestResult) {
        self.count(t.verdict);
        emit(&Event::Test(t));
    }
}

/// Why a program that exited as if it passed (and printed no failure)
/// still fails: it left no result to count. Not for a libtest run that a
/// filter narrowed (`filtered`: it may match nothing), nor for one where
/// libtest says it ran 0 tests (a target without tests).
fn no_result(kind: Kind, text: &str, results: usize, filtered: bool) -> Option<&'static str> {
    if results > 0 {
        return None;
    }
    match kind {
        Kind::Kselftest => Some("printed no TAP result"),
        Kind::Rust if filtered || text.lines().any(|l| l.trim_end() == "running 0 tests") => None,
        Kind::Rust => Some("no test result parsed"),
    }
}

fn libtest_verdict(r: &str) -> Option<Verdict> {
    let r = r.trim();
    if r == "ok" {
        Some(Verdict::Ok)
    } else if r == "FAILED" {
        Some(Verdict::Fail)
    } else if r.starts_with("ignored") {
        Some(Verdict::Skip)
    } else {
        None
    }
}

/// libtest: `test NAME ... ok|FAILED|ignored[, reason]`
#[cfg(test)]
fn parse_libtest(line: &str) -> Option<(String, Verdict)> {
    let (name, result) = libtest_start(line)?;
    Some((name, libtest_verdict(result)?))
}

/// `test NAME ... <rest>`: a test started; when it writes to stderr itself
/// (uncaptured), its verdict arrives on a later line.
fn libtest_start(line: &str) -> Option<(String, &str)> {
    let rest = line.strip_prefix("test ")?;
    let (name, result) = rest.split_once(" ... ")?;
    Some((name.trim().to_string(), result))
}

/// Results of a libtest run, including verdicts separated from their
/// `test NAME ...` line by the test's own output.
fn libtest_results(text: &str) -> Vec<(String, Verdict)> {
    let mut out = Vec::new();
    let mut pending: Option<String> = None;
    for line in text.lines() {
        if let Some((name, rest)) = libtest_start(line) {
            match libtest_verdict(rest) {
                Some(v) => {
                    out.push((name, v));
                    pending = None;
                }
                None => pending = Some(name),
            }
            continue;
        }
        if let Some(name) = &pending {
            let t = line.trim_end();
            let v = libtest_verdict(t).or_else(|| {
                if t.ends_with(" ok") {
                    Some(Verdict::Ok)
                } else if t.ends_with(" FAILED") {
                    Some(Verdict::Fail)
                } else {
                    None
                }
            });
            if let Some(v) = v {
                out.push((name.clone(), v));
                pending = None;
            }
        }
    }
    out
}

/// TAP: `ok N name`, `not ok N name`, `ok N name # SKIP ...`
fn parse_tap(line: &str) -> Option<(String, Verdict)> {
    let (ok, rest) = if let Some(r) = line.strip_prefix("not ok ") {
        (false, r)
    } else if let Some(r) = line.strip_prefix("ok ") {
        (true, r)
    } else {
        return None;
    };
    let (num, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    if num.parse::<u32>().is_err() {
        return None;
    }
    let (name, directive) = match rest.split_once(" # ") {
        Some((n, d)) => (n.trim(), d.trim().to_ascii_uppercase()),
        None => (rest.trim(), String::new()),
    };
    let name = if name.is_empty() {
        format!("test{num}")
    } else {
        name.to_string()
    };
    let verdict = if directive.starts_with("SKIP") {
        Verdict::Skip
    } else if ok || directive.starts_with("XFAIL") {
        Verdict::Ok
    } else {
        Verdict::Fail
    };
    Some((name, verdict))
}

fn run_one(path: &Path, kind: Kind, user: bool, opts: &Opts, totals: &mut Totals) {
    let prog = path.file_name().unwrap().to_string_lossy().to_string();
    let who = if user { Who::User } else { Who::Root };
    let mut args: Vec<String> = Vec::new();
    let mut filtered = false;
    if kind == Kind::Rust {
        args.extend(["--include-ignored".into(), "--test-threads=1".into()]);
        if let Some(f) = &opts.filter {
            if !prog.contains(f.as_str()) {
                args.push(f.clone());
                filtered = true;
            }
        }
    }
    let mut env: Vec<String> = vec![
        "PATH=/usr/bin:/bin".into(),
        format!("HOME={}", if user { "/tmp" } else { "/root" }),
        format!("USER={who}"),
        "TMPDIR=/tmp".into(),
        "PRCTL_NETWORK_VM=1".into(),
        "PRCTL_NETWORK_BIN_DIR=/usr/bin".into(),
        "RUST_BACKTRACE=1".into(),
    ];
    if let Some(c) = &opts.cases {
        env.push(format!("PROPTEST_CASES={c}"));
    }
    emit(&Event::Run {
        program: prog.clone(),
        who,
    });
    let start = Instant::now();
    let (out, exit) = run_program(path, &args, user, &env, opts.timeout);
    let text = String::from_utf8_lossy(&out);
    let results: Vec<(String, Verdict)> = match kind {
        Kind::Rust => libtest_results(&text),
        Kind::Kselftest => text.lines().filter_map(parse_tap).collect(),
    };
    let n_results = results.len();
    let mut any_fail = results.iter().any(|(_, v)| *v == Verdict::Fail);
    for (name, v) in results {
        totals.report(verdict(v, &prog, &name, who, None));
    }
    let exit_ok = match &exit {
        Exit::Code(0) => true,
        Exit::Code(4) if kind == Kind::Kselftest => true, // KSFT_SKIP
        _ => false,
    };
    let mut why = match &exit {
        Exit::Code(c) => format!("exit status {c}"),
        Exit::Signal(s) => format!("killed by signal {s}"),
        Exit::Timeout => format!("timed out after {}s (killed)", opts.timeout.as_secs()),
        Exit::SpawnFailed(e) => format!("could not run: {e}"),
    };
    if !exit_ok && !any_fail {
        // Crash, timeout or a non-zero exit without a FAILED line: one failure.
        any_fail = true;
        totals.report(verdict(
            Verdict::Fail,
            &prog,
            "<program>",
            who,
            Some(why.clone()),
        ));
    } else if let Some(none) = no_result(kind, &text, n_results, filtered) {
        // Exited as if all went well, but nothing to count: one failure.
        any_fail = true;
        why = none.to_string();
        totals.report(verdict(
            Verdict::Fail,
            &prog,
            "<program>",
            who,
            Some(why.clone()),
        ));
    }
    // Figures a test reports without judging them (kselftests print
    // `# pn-metric: <text>`), relayed whether the program passed or not.
    for metric in text.lines().filter_map(|l| l.strip_prefix("# pn-metric: ")) {
        info(format!("{prog} [{who}] {metric}"));
    }
    if any_fail {
        let out = |line: String| {
            emit(&Event::Out {
                program: prog.clone(),
                who,
                line,
            })
        };
        for line in text.lines() {
            out(line.to_string());
        }
        out(format!("({why}, {:.1}s)", start.elapsed().as_secs_f64()));
    }
}

fn programs(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// Kernel log patterns that mean the kernel complained (shared with the
/// host side, which scans the console for the same list).
fn kernel_issues() -> impl Iterator<Item = &'static str> {
    include_str!("../../kernel-issues.txt")
        .lines()
        .filter(|l| !l.is_empty())
}

fn kernel_log() -> String {
    // SAFETY: klogctl with a buffer we own.
    unsafe {
        let size = libc::klogctl(10, std::ptr::null_mut(), 0); // SYSLOG_ACTION_SIZE_BUFFER
        let size = if size > 0 { size as usize } else { 1 << 20 };
        let mut buf = vec![0u8; size];
        let n = libc::klogctl(3, buf.as_mut_ptr().cast(), size as libc::c_int); // READ_ALL
        if n <= 0 {
            return String::new();
        }
        String::from_utf8_lossy(&buf[..n as usize]).to_string()
    }
}

/// The mounts of the test VM, in order.
const MOUNTS: [Mount; 6] = [
    Mount {
        source: "proc",
        target: "/proc",
        fstype: "proc",
        flags: libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
        data: "",
    },
    Mount {
        source: "sysfs",
        target: "/sys",
        fstype: "sysfs",
        flags: libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
        data: "",
    },
    // securityfs: /sys/kernel/security/lsm names the active modules in
    // order (the model reads it: a module before prctl_network answers
    // first).
    Mount {
        source: "securityfs",
        target: "/sys/kernel/security",
        fstype: "securityfs",
        flags: libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
        data: "",
    },
    Mount {
        source: "devtmpfs",
        target: "/dev",
        fstype: "devtmpfs",
        flags: libc::MS_NOSUID,
        data: "mode=0755",
    },
    // Pseudo-terminals for the TIOCSTI tests (/dev/ptmx needs it beside it).
    Mount {
        source: "devpts",
        target: "/dev/pts",
        fstype: "devpts",
        flags: libc::MS_NOSUID | libc::MS_NOEXEC,
        data: "mode=0620,ptmxmode=0666",
    },
    Mount {
        source: "tmpfs",
        target: "/tmp",
        fstype: "tmpfs",
        flags: libc::MS_NOSUID | libc::MS_NODEV,
        data: "mode=1777",
    },
];

/// The failure of mounting `m`: `VMTEST FAIL init::mount-<target> [root]
/// (<fstype>: <error>)`.
fn mount_failure(m: &Mount, e: &std::io::Error) -> TestResult {
    init_failure(&format!("mount-{}", m.target), format!("{}: {e}", m.fstype))
}

/// Mounts `m`; a failure is a `VMTEST FAIL init::mount-<target>` line,
/// counted. Whether it worked. securityfs is the one optional mount: a
/// kernel built without it (the std flavour) has no /sys/kernel/security
/// to mount it on, and the model then takes the built-in LSM order.
fn mount(m: &Mount, totals: &mut Totals) -> bool {
    if m.fstype == "securityfs" && !Path::new(m.target).exists() {
        info(format!(
            "no {} (kernel without SECURITYFS): not mounted",
            m.target
        ));
        return false;
    }
    match m.mount() {
        Ok(()) => true,
        Err(e) => {
            totals.report(mount_failure(m, &e));
            false
        }
    }
}

/// kmemleak's report after two scans (objects must be seen unreferenced
/// twice to be reported; empty: no leak), or why there is no leak check.
fn kmemleak_scan(ctl: &Path) -> Result<String, String> {
    if !ctl.exists() {
        return Err(format!("pn.kmemleak=1 but {} is absent", ctl.display()));
    }
    for _ in 0..2 {
        std::fs::write(ctl, "scan")
            .map_err(|e| format!("writing scan to {}: {e}", ctl.display()))?;
        std::thread::sleep(Duration::from_secs(1));
    }
    std::fs::read_to_string(ctl).map_err(|e| format!("reading {}: {e}", ctl.display()))
}

fn check_kernel(opts: &Opts, totals: &mut Totals) {
    let mut report: Vec<String> = Vec::new();
    let debugfs = Mount {
        source: "debugfs",
        target: "/sys/kernel/debug",
        fstype: "debugfs",
        flags: 0,
        data: "",
    };
    // A failed mount is its own FAIL line: no second one for kmemleak.
    if opts.kmemleak && mount(&debugfs, totals) {
        match kmemleak_scan(Path::new("/sys/kernel/debug/kmemleak")) {
            Ok(leaks) => {
                info(format!(
                    "kmemleak scan done: {} unreferenced object(s)",
                    leaks.matches("unreferenced object").count()
                ));
                if !leaks.trim().is_empty() {
                    report.push("kmemleak reports:".into());
                    report.extend(leaks.lines().take(200).map(str::to_string));
                }
            }
            // The debug run would pass without its leak check.
            Err(e) => totals.report(init_failure("kmemleak", e)),
        }
    }
    let log = kernel_log();
    let lines: Vec<&str> = log.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        if kernel_issues().any(|p| lines[i].contains(p)) {
            let end = (i + 30).min(lines.len());
            report.extend(lines[i..end].iter().map(|l| l.to_string()));
            report.push("...".into());
            i = end;
        } else {
            i += 1;
        }
    }
    let clean = report.is_empty();
    if clean {
        totals.passed += 1;
    } else {
        totals.failed += 1;
    }
    emit(&Event::KernelLog { clean });
    for line in report {
        emit(&Event::Out {
            program: "kernel-log".into(),
            who: Who::Root,
            line,
        });
    }
}

/// Test mode, as PID 1: set the VM up, run the tests (or a shell), power off.
pub fn main() -> ! {
    let mut totals = Totals::default();
    for m in &MOUNTS[..4] {
        mount(m, &mut totals);
    }
    // /dev/net/tun as distributions' udev rules leave it (mode 0666):
    // opening it is no privilege, attaching to a device is. Absent without
    // TUN in the kernel (the tests then skip what needs it).
    match std::fs::set_permissions(
        "/dev/net/tun",
        std::os::unix::fs::PermissionsExt::from_mode(0o666),
    ) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            totals.report(init_failure("chmod-/dev/net/tun", e.to_string()))
        }
        _ => {}
    }
    for m in &MOUNTS[4..] {
        mount(m, &mut totals);
    }
    if let Err(e) = std::fs::create_dir_all("/root") {
        totals.report(init_failure("mkdir-/root", e.to_string()));
    }
    let opts = parse_cmdline();

    match pid1::crng_ready() {
        (Ok(()), took) => info(format!(
            "crng ready (getrandom ok, {:.1}s)",
            took.as_secs_f64()
        )),
        (Err(e), took) => totals.report(init_failure(
            "crng",
            format!("getrandom failed after {:.1}s: {e}", took.as_secs_f64()),
        )),
    }
    info(format!(
        "{} CPU(s) online (the race and TSYNC tests want 2)",
        pid1::cpus()
    ));

    match pid1::loopback() {
        Ok(()) => info("lo is up, 127.0.0.1 works"),
        Err(e) => totals.report(init_failure("loopback", e)),
    }
    match pid1::dummy0_v6() {
        Ok(()) => info("dummy0 is up with 2001:db8::1/64 (for the redirection tests)"),
        Err(e) => totals.report(init_failure("dummy0", e.to_string())),
    }

    if opts.shell {
        run_shell();
    } else {
        let mut progs: Vec<(PathBuf, Kind)> = Vec::new();
        progs.extend(programs("/tests/rust").into_iter().map(|p| (p, Kind::Rust)));
        for p in programs("/tests/kselftest") {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if opts
                .filter
                .as_ref()
                .is_none_or(|f| name.contains(f.as_str()))
            {
                progs.push((p, Kind::Kselftest));
            }
        }
        info(format!(
            "{} test program(s), each as root then as uid {USER_ID}",
            progs.len()
        ));
        for (p, kind) in &progs {
            for user in [false, true] {
                run_one(p, *kind, user, &opts, &mut totals);
            }
        }
        check_kernel(&opts, &mut totals);
        emit(&Event::Done {
            passed: totals.passed,
            failed: totals.failed,
            skipped: totals.skipped,
        });
    }
    pid1::power_off()
}

#[cfg(test)]
mod parsing {
    use super::*;

    #[test]
    fn libtest_lines() {
        assert_eq!(
            parse_libtest("test a::b ... ok"),
            Some(("a::b".into(), Verdict::Ok))
        );
        assert_eq!(
            parse_libtest("test a::b ... FAILED"),
            Some(("a::b".into(), Verdict::Fail))
        );
        assert_eq!(
            parse_libtest("test x ... ignored, needs vm"),
            Some(("x".into(), Verdict::Skip))
        );
        assert_eq!(parse_libtest("test result: ok. 3 passed"), None);
        assert_eq!(parse_libtest("running 3 tests"), None);
    }

    #[test]
    fn libtest_verdict_after_test_output() {
        let out = "running 3 tests\ntest a ... property a: 24 cases\nok\ntest b ... noise\nmore FAILED\ntest c ... ok\n";
        assert_eq!(
            libtest_results(out),
            vec![
                ("a".into(), Verdict::Ok),
                ("b".into(), Verdict::Fail),
                ("c".into(), Verdict::Ok)
            ]
        );
    }

    #[test]
    fn tap_lines() {
        assert_eq!(
            parse_tap("ok 1 global.a"),
            Some(("global.a".into(), Verdict::Ok))
        );
        assert_eq!(
            parse_tap("not ok 2 global.b"),
            Some(("global.b".into(), Verdict::Fail))
        );
        assert_eq!(
            parse_tap("ok 3 global.c # SKIP no cap"),
            Some(("global.c".into(), Verdict::Skip))
        );
        assert_eq!(parse_tap("# ok 1 nested"), None);
        assert_eq!(parse_tap("ok x"), None);
    }
}

#[cfg(test)]
mod failures {
    use super::*;

    #[test]
    fn a_failed_mount_is_a_counted_init_failure() {
        let m = &MOUNTS[2];
        let e = std::io::Error::from_raw_os_error(libc::ENODEV);
        let t = mount_failure(m, &e);
        let line = Event::Test(t.clone()).to_string();
        assert_eq!(
            line,
            format!("VMTEST FAIL init::mount-/sys/kernel/security [root] (securityfs: {e})")
        );
        assert_eq!(line.parse::<Event>(), Ok(Event::Test(t.clone())));
        let mut totals = Totals::default();
        totals.report(t);
        assert_eq!(
            totals,
            Totals {
                passed: 0,
                failed: 1,
                skipped: 0
            }
        );
        // A real failure: a mount point under a file.
        let bad = Mount {
            source: "tmpfs",
            target: "/proc/self/status/x",
            fstype: "tmpfs",
            flags: 0,
            data: "",
        };
        assert!(!mount(&bad, &mut totals));
        assert_eq!(totals.failed, 2);
    }

    #[test]
    fn init_failures_are_fail_lines_of_program_init() {
        assert_eq!(
            Event::Test(init_failure("kmemleak", "pn.kmemleak=1 but x is absent")).to_string(),
            "VMTEST FAIL init::kmemleak [root] (pn.kmemleak=1 but x is absent)"
        );
        assert_eq!(
            Event::Test(init_failure("crng", "getrandom failed after 0.0s: x")).to_string(),
            "VMTEST FAIL init::crng [root] (getrandom failed after 0.0s: x)"
        );
    }

    #[test]
    fn no_kmemleak_check_is_an_error() {
        assert_eq!(
            kmemleak_scan(Path::new("/nonexistent/kmemleak")),
            Err("pn.kmemleak=1 but /nonexistent/kmemleak is absent".into())
        );
        // Present but not writable as kmemleak is (here: a directory).
        let e = kmemleak_scan(Path::new("/")).unwrap_err();
        assert!(e.starts_with("writing scan to /: "), "{e}");
    }

    #[test]
    fn a_program_with_nothing_to_count_fails() {
        let libtest_ok = "running 2 tests\ntest a ... ok\ntest b ... ok\n";
        // Results parsed: nothing to add.
        for kind in [Kind::Rust, Kind::Kselftest] {
            assert_eq!(no_result(kind, libtest_ok, 2, false), None);
        }
        assert_eq!(
            no_result(Kind::Kselftest, "TAP version 13\n1..3\n", 0, false),
            Some("printed no TAP result")
        );
        assert_eq!(
            no_result(Kind::Rust, "garbled output\n", 0, false),
            Some("no test result parsed")
        );
        assert_eq!(
            no_result(Kind::Rust, "", 0, false),
            Some("no test result parsed")
        );
        // A filter may match no test.
        assert_eq!(no_result(Kind::Rust, "running 0 tests\n", 0, true), None);
        assert_eq!(no_result(Kind::Rust, "", 0, true), None);
        // libtest itself says the target has no tests.
        let none = "\nrunning 0 tests\n\ntest result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n\n";
        assert_eq!(no_result(Kind::Rust, none, 0, false), None);
        // ... but only libtest's own line counts, not a test's word for it.
        assert_eq!(
            no_result(Kind::Rust, "running 3 tests\n", 0, false),
            Some("no test result parsed")
        );
    }
}
