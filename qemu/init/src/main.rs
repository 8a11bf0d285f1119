//! PID 1 of the prctl-network test VM.
//!
//! Mounts proc, sysfs, devtmpfs and /tmp; brings `lo` up; reads `pn.*`
//! options from the kernel command line; runs every program under /tests
//! as root and then as uid/gid 1000 with a per-program timeout; reports one
//! `VMTEST ok|FAIL|skip <program>::<test> [root|user]` console line per
//! test, the output of failing programs as `VMTEST-OUT` lines, checks the
//! kernel log, prints `VMTEST-DONE passed=N failed=M skipped=K` and reboots
//! (QEMU runs with -no-reboot, so that ends it).
//!
//! Kernel command line options:
//!   pn.shell=1      interactive /bin/sh instead of the tests (`cargo xtask run`)
//!   pn.filter=S     libtest filter S (unless the program name contains S);
//!                   kselftest programs run only if their name contains S
//!   pn.cases=N      PROPTEST_CASES=N for the tests
//!   pn.timeout=S    per-program timeout in seconds (default 300)
//!   pn.kmemleak=1   trigger a kmemleak scan at the end and report leaks

use std::ffi::CString;
use std::io::Write;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const USER_ID: u32 = 1000;

/// One console line in a single write(2), so kernel messages cannot split it.
fn emit(line: &str) {
    let mut s = String::with_capacity(line.len() + 1);
    s.push_str(line);
    s.push('\n');
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes());
    let _ = out.flush();
}

fn cstr(s: &str) -> CString {
    CString::new(s).expect("no NUL in strings we build")
}

fn mount(src: &str, target: &str, fstype: &str, flags: libc::c_ulong, data: &str) {
    let _ = std::fs::create_dir_all(target);
    let (s, t, f, d) = (cstr(src), cstr(target), cstr(fstype), cstr(data));
    // SAFETY: valid NUL-terminated strings.
    let r = unsafe { libc::mount(s.as_ptr(), t.as_ptr(), f.as_ptr(), flags, d.as_ptr().cast()) };
    if r != 0 {
        emit(&format!(
            "VMTEST-INFO mount {fstype} on {target} failed: {}",
            std::io::Error::last_os_error()
        ));
    }
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

fn lo_up() -> Result<(), String> {
    // SAFETY: plain socket/ioctl calls on a zeroed ifreq.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(format!("socket: {}", std::io::Error::last_os_error()));
        }
        let mut ifr: libc::ifreq = std::mem::zeroed();
        for (i, b) in b"lo".iter().enumerate() {
            ifr.ifr_name[i] = *b as libc::c_char;
        }
        if libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut ifr) != 0 {
            let e = std::io::Error::last_os_error();
            libc::close(fd);
            return Err(format!("SIOCGIFFLAGS lo: {e}"));
        }
        ifr.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
        if libc::ioctl(fd, libc::SIOCSIFFLAGS, &ifr) != 0 {
            let e = std::io::Error::last_os_error();
            libc::close(fd);
            return Err(format!("SIOCSIFFLAGS lo: {e}"));
        }
        libc::close(fd);
    }
    // Verify 127.0.0.1 carries traffic.
    let s = std::net::UdpSocket::bind("127.0.0.1:0").map_err(|e| format!("bind 127.0.0.1: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok();
    let addr = s.local_addr().map_err(|e| e.to_string())?;
    s.send_to(b"ping", addr)
        .map_err(|e| format!("send to {addr}: {e}"))?;
    let mut buf = [0u8; 8];
    let (n, _) = s
        .recv_from(&mut buf)
        .map_err(|e| format!("recv on {addr}: {e}"))?;
    if &buf[..n] != b"ping" {
        return Err("loopback returned garbage".into());
    }
    Ok(())
}

/// A second interface for the path tests: `dummy0` up, with a routable
/// IPv6 prefix (2001:db8::1/64, documentation space), so that the
/// redirection tests can send to 2001:db8::77 (out of `dummy0`, where it
/// vanishes) and a sniffer on `dummy0` sees where a packet went. (A prefix
/// on `lo` would become a reject route.)
fn dummy_routable_v6() -> Result<(), String> {
    // SAFETY: plain socket/ioctl calls on zeroed request structures.
    unsafe {
        let fd = libc::socket(libc::AF_INET6, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(format!("socket: {}", std::io::Error::last_os_error()));
        }
        let fail = |what: &str| {
            let e = std::io::Error::last_os_error();
            libc::close(fd);
            Err(format!("{what}: {e}"))
        };
        let mut ifr: libc::ifreq = std::mem::zeroed();
        for (i, b) in b"dummy0".iter().enumerate() {
            ifr.ifr_name[i] = *b as libc::c_char;
        }
        if libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut ifr) != 0 {
            return fail("SIOCGIFFLAGS dummy0");
        }
        ifr.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
        if libc::ioctl(fd, libc::SIOCSIFFLAGS, &ifr) != 0 {
            return fail("SIOCSIFFLAGS dummy0");
        }
        let mut req: libc::in6_ifreq = std::mem::zeroed();
        req.ifr6_addr.s6_addr = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        req.ifr6_prefixlen = 64;
        req.ifr6_ifindex = libc::if_nametoindex(c"dummy0".as_ptr()) as libc::c_int;
        if libc::ioctl(fd, libc::SIOCSIFADDR, &req) != 0 {
            return fail("SIOCSIFADDR dummy0 2001:db8::1/64");
        }
        libc::close(fd);
    }
    Ok(())
}

fn run_shell() {
    emit("VMTEST-INFO pn.shell=1: starting /bin/sh (tests in /tests, binaries in /usr/bin; `exit` reboots)");
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

#[derive(Default)]
struct Totals {
    passed: u64,
    failed: u64,
    skipped: u64,
}

fn libtest_verdict(r: &str) -> Option<&'static str> {
    let r = r.trim();
    if r == "ok" {
        Some("ok")
    } else if r == "FAILED" {
        Some("FAIL")
    } else if r.starts_with("ignored") {
        Some("skip")
    } else {
        None
    }
}

/// libtest: `test NAME ... ok|FAILED|ignored[, reason]`
#[cfg(test)]
fn parse_libtest(line: &str) -> Option<(String, &'static str)> {
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
fn libtest_results(text: &str) -> Vec<(String, &'static str)> {
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
                    Some("ok")
                } else if t.ends_with(" FAILED") {
                    Some("FAIL")
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
fn parse_tap(line: &str) -> Option<(String, &'static str)> {
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
        "skip"
    } else if ok || directive.starts_with("XFAIL") {
        "ok"
    } else {
        "FAIL"
    };
    Some((name, verdict))
}

fn run_one(path: &Path, kind: Kind, user: bool, opts: &Opts, totals: &mut Totals) {
    let prog = path.file_name().unwrap().to_string_lossy().to_string();
    let who = if user { "user" } else { "root" };
    let mut args: Vec<String> = Vec::new();
    if kind == Kind::Rust {
        args.extend(["--include-ignored".into(), "--test-threads=1".into()]);
        if let Some(f) = &opts.filter {
            if !prog.contains(f.as_str()) {
                args.push(f.clone());
            }
        }
    }
    let mut env: Vec<String> = vec![
        "PATH=/usr/bin:/bin".into(),
        format!("HOME={}", if user { "/tmp" } else { "/root" }),
        format!("USER={}", if user { "user" } else { "root" }),
        "TMPDIR=/tmp".into(),
        "PRCTL_NETWORK_VM=1".into(),
        "PRCTL_NETWORK_BIN_DIR=/usr/bin".into(),
        "RUST_BACKTRACE=1".into(),
    ];
    if let Some(c) = &opts.cases {
        env.push(format!("PROPTEST_CASES={c}"));
    }
    emit(&format!("VMTEST-RUN {prog} [{who}]"));
    let start = Instant::now();
    let (out, exit) = run_program(path, &args, user, &env, opts.timeout);
    let text = String::from_utf8_lossy(&out);
    let mut any_fail = false;
    let mut any = false;
    let results: Vec<(String, &'static str)> = match kind {
        Kind::Rust => libtest_results(&text),
        Kind::Kselftest => text.lines().filter_map(parse_tap).collect(),
    };
    for (name, verdict) in results {
        any = true;
        match verdict {
            "ok" => totals.passed += 1,
            "skip" => totals.skipped += 1,
            _ => {
                totals.failed += 1;
                any_fail = true;
            }
        }
        emit(&format!("VMTEST {verdict} {prog}::{name} [{who}]"));
    }
    let exit_ok = match &exit {
        Exit::Code(0) => true,
        Exit::Code(4) if kind == Kind::Kselftest => true, // KSFT_SKIP
        _ => false,
    };
    let why = match &exit {
        Exit::Code(c) => format!("exit status {c}"),
        Exit::Signal(s) => format!("killed by signal {s}"),
        Exit::Timeout => format!("timed out after {}s (killed)", opts.timeout.as_secs()),
        Exit::SpawnFailed(e) => format!("could not run: {e}"),
    };
    if !exit_ok && !any_fail {
        // Crash, timeout or a non-zero exit without a FAILED line: one failure.
        totals.failed += 1;
        any_fail = true;
        emit(&format!("VMTEST FAIL {prog}::<program> [{who}] ({why})"));
    }
    // Figures a test reports without judging them (kselftests print
    // `# pn-metric: <text>`), relayed whether the program passed or not.
    for metric in text.lines().filter_map(|l| l.strip_prefix("# pn-metric: ")) {
        emit(&format!("VMTEST-INFO {prog} [{who}] {metric}"));
    }
    if !any && exit_ok && kind == Kind::Kselftest {
        emit(&format!("VMTEST-INFO {prog} [{who}] printed no TAP result"));
    }
    if any_fail {
        for line in text.lines() {
            emit(&format!("VMTEST-OUT {prog} [{who}] | {line}"));
        }
        emit(&format!(
            "VMTEST-OUT {prog} [{who}] | ({why}, {:.1}s)",
            start.elapsed().as_secs_f64()
        ));
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

fn check_kernel(opts: &Opts, totals: &mut Totals) {
    let mut report: Vec<String> = Vec::new();
    if opts.kmemleak {
        mount("debugfs", "/sys/kernel/debug", "debugfs", 0, "");
        let ctl = "/sys/kernel/debug/kmemleak";
        if Path::new(ctl).exists() {
            // Two scans: objects must be seen unreferenced twice to be reported.
            for _ in 0..2 {
                let _ = std::fs::write(ctl, "scan");
                std::thread::sleep(Duration::from_secs(1));
            }
            let leaks = std::fs::read_to_string(ctl).unwrap_or_default();
            emit(&format!(
                "VMTEST-INFO kmemleak scan done: {} unreferenced object(s)",
                leaks.matches("unreferenced object").count()
            ));
            if !leaks.trim().is_empty() {
                report.push("kmemleak reports:".into());
                report.extend(leaks.lines().take(200).map(str::to_string));
            }
        } else {
            emit("VMTEST-INFO pn.kmemleak=1 but /sys/kernel/debug/kmemleak is absent");
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
    if report.is_empty() {
        totals.passed += 1;
        emit("VMTEST ok kernel-log::clean [root]");
    } else {
        totals.failed += 1;
        emit("VMTEST FAIL kernel-log::clean [root]");
        for l in report {
            emit(&format!("VMTEST-OUT kernel-log [root] | {l}"));
        }
    }
}

fn main() {
    // Stay alive whatever happens to a child; SIGPIPE is irrelevant here.
    mount(
        "proc",
        "/proc",
        "proc",
        libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
        "",
    );
    mount(
        "sysfs",
        "/sys",
        "sysfs",
        libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
        "",
    );
    // securityfs: /sys/kernel/security/lsm names the active modules in
    // order (the model reads it: a module before prctl_network answers
    // first).
    mount(
        "securityfs",
        "/sys/kernel/security",
        "securityfs",
        libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
        "",
    );
    mount("devtmpfs", "/dev", "devtmpfs", libc::MS_NOSUID, "mode=0755");
    // /dev/net/tun as distributions' udev rules leave it (mode 0666):
    // opening it is no privilege, attaching to a device is.
    let _ = std::fs::set_permissions(
        "/dev/net/tun",
        std::os::unix::fs::PermissionsExt::from_mode(0o666),
    );
    // Pseudo-terminals for the TIOCSTI tests (/dev/ptmx needs it beside it).
    let _ = std::fs::create_dir_all("/dev/pts");
    mount(
        "devpts",
        "/dev/pts",
        "devpts",
        libc::MS_NOSUID | libc::MS_NOEXEC,
        "mode=0620,ptmxmode=0666",
    );
    mount(
        "tmpfs",
        "/tmp",
        "tmpfs",
        libc::MS_NOSUID | libc::MS_NODEV,
        "mode=1777",
    );
    let _ = std::fs::create_dir_all("/root");
    let opts = parse_cmdline();
    // stdout is the console: keep it unbuffered-ish and never die on EPIPE.
    let _ = std::io::stdout().as_raw_fd();

    // A TCG guest has few entropy sources: until the CRNG is ready,
    // anything that polls /dev/random (the getrandom crate's fallback, used
    // by proptest's seeding) blocks forever. A blocking getrandom(2) makes
    // the kernel generate jitter entropy and initialise the CRNG now.
    let t = Instant::now();
    let mut seed = [0u8; 32];
    // SAFETY: writing into a local buffer.
    let r = unsafe { libc::getrandom(seed.as_mut_ptr().cast(), seed.len(), 0) };
    emit(&format!(
        "VMTEST-INFO crng ready (getrandom {}, {:.1}s)",
        if r == seed.len() as isize {
            "ok"
        } else {
            "failed"
        },
        t.elapsed().as_secs_f64()
    ));

    // SAFETY: sysconf has no side effects.
    let cpus = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    emit(&format!(
        "VMTEST-INFO {cpus} CPU(s) online (the race and TSYNC tests want 2)"
    ));

    let mut totals = Totals::default();
    match lo_up() {
        Ok(()) => emit("VMTEST-INFO lo is up, 127.0.0.1 works"),
        Err(e) => {
            totals.failed += 1;
            emit(&format!("VMTEST FAIL init::loopback [root] ({e})"));
        }
    }
    match dummy_routable_v6() {
        Ok(()) => emit("VMTEST-INFO dummy0 is up with 2001:db8::1/64 (for the redirection tests)"),
        Err(e) => {
            totals.failed += 1;
            emit(&format!("VMTEST FAIL init::dummy0 [root] ({e})"));
        }
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
        emit(&format!(
            "VMTEST-INFO {} test program(s), each as root then as uid {USER_ID}",
            progs.len()
        ));
        for (p, kind) in &progs {
            for user in [false, true] {
                run_one(p, *kind, user, &opts, &mut totals);
            }
        }
        check_kernel(&opts, &mut totals);
        emit(&format!(
            "VMTEST-DONE passed={} failed={} skipped={}",
            totals.passed, totals.failed, totals.skipped
        ));
    }
    // SAFETY: sync and reboot; with QEMU -no-reboot this powers the VM off.
    unsafe {
        libc::sync();
        libc::reboot(libc::RB_AUTOBOOT);
    }
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libtest_lines() {
        assert_eq!(
            parse_libtest("test a::b ... ok"),
            Some(("a::b".into(), "ok"))
        );
        assert_eq!(
            parse_libtest("test a::b ... FAILED"),
            Some(("a::b".into(), "FAIL"))
        );
        assert_eq!(
            parse_libtest("test x ... ignored, needs vm"),
            Some(("x".into(), "skip"))
        );
        assert_eq!(parse_libtest("test result: ok. 3 passed"), None);
        assert_eq!(parse_libtest("running 3 tests"), None);
    }

    #[test]
    fn libtest_verdict_after_test_output() {
        let out = "running 3 tests\ntest a ... property a: 24 cases\nok\ntest b ... noise\nmore FAILED\ntest c ... ok\n";
        assert_eq!(
            libtest_results(out),
            vec![("a".into(), "ok"), ("b".into(), "FAIL"), ("c".into(), "ok")]
        );
    }

    #[test]
    fn tap_lines() {
        assert_eq!(parse_tap("ok 1 global.a"), Some(("global.a".into(), "ok")));
        assert_eq!(
            parse_tap("not ok 2 global.b"),
            Some(("global.b".into(), "FAIL"))
        );
        assert_eq!(
            parse_tap("ok 3 global.c # SKIP no cap"),
            Some(("global.c".into(), "skip"))
        );
        assert_eq!(parse_tap("# ok 1 nested"), None);
        assert_eq!(parse_tap("ok x"), None);
    }
}
