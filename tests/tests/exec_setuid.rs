//! The restriction is kept across execve, including a set-user-ID root
//! program (`pn-suid-probe`, installed mode 04755 by the VM harness). With
//! no_new_privs the setuid bit is ignored: the flag is kept and the euid is
//! not elevated.

use std::ffi::CString;
use std::os::unix::fs::MetadataExt;

use prctl_network_tests::check::{probe_path, require_series};
use prctl_network_tests::fork::{expect_eq, in_child};
use prctl_network_tests::probe;
use prctl_network_tests::sys;

fn probe_or_panic() -> String {
    probe_path(option_env!("CARGO_BIN_EXE_pn-suid-probe"))
        .expect("pn-suid-probe not found (the VM harness installs it in /usr/bin)")
}

fn probe_is_setuid_root(p: &str) -> bool {
    std::fs::metadata(p)
        .map(|m| m.mode() & 0o4000 != 0 && m.uid() == 0)
        .unwrap_or(false)
}

/// Fork, optionally set nnp in the child, exec `argv`; the exit code.
fn exec_code(argv: &[&str], nnp: bool) -> Result<u8, String> {
    let args: Vec<CString> = argv.iter().map(|a| CString::new(*a).unwrap()).collect();
    let mut ptrs: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    // Raw between fork and exec: async-signal-safe calls without
    // allocation only (nix's execv builds its argv vector).
    // SAFETY: the child only makes syscalls before execv/_exit.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        unsafe {
            if nnp {
                libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
            }
            // The probe's report would split libtest's result lines.
            let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
            libc::dup2(null, 1);
            libc::dup2(null, 2);
            libc::execv(ptrs[0], ptrs.as_ptr());
            libc::_exit(127);
        }
    }
    match sys::wait_exit(pid) {
        sys::Exit::Code(c) => Ok(c as u8),
        other => Err(format!("{argv:?}: {other}")),
    }
}

fn ids() -> (bool, bool) {
    (
        nix::unistd::geteuid().is_root(),
        nix::unistd::getuid().is_root(),
    )
}

fn check_code(what: &str, got: u8, want: u8) -> Result<(), String> {
    expect_eq(
        what,
        format!("{got} ({})", probe::describe(got)),
        format!("{want} ({})", probe::describe(want)),
    )
}

#[test]
#[ignore = "needs the prctl-network kernel: run by cargo xtask vm-test"]
fn restriction_survives_setuid_exec_with_nnp() {
    require_series();
    let p = probe_or_panic();
    in_child(|| {
        sys::restrict_self();
        let (euid0, ruid0) = ids();
        let got = exec_code(&[&p], false)?;
        // nnp is set: euid stays what it was, the flag is kept.
        check_code(
            "setuid probe after PR_NETWORK_OFF + nnp",
            got,
            probe::expected_code(true, euid0, ruid0),
        )?;
        Ok(String::new())
    })
    .unwrap();
}

#[test]
#[ignore = "needs the prctl-network kernel: run by cargo xtask vm-test"]
fn setuid_probe_really_is_setuid_when_unrestricted() {
    require_series();
    let p = probe_or_panic();
    let suid = probe_is_setuid_root(&p);
    eprintln!("probe {p}: setuid root = {suid}");
    in_child(|| {
        let (euid0, ruid0) = ids();
        let got = exec_code(&[&p], false)?;
        check_code(
            "setuid probe, unrestricted, no nnp",
            got,
            probe::expected_code(false, euid0 || suid, ruid0),
        )?;
        let got = exec_code(&[&p], true)?;
        check_code(
            "setuid probe, unrestricted, nnp",
            got,
            probe::expected_code(false, euid0, ruid0),
        )?;
        Ok(String::new())
    })
    .unwrap();
}

/// With CAP_SYS_ADMIN (root) the restriction needs no nnp; a setuid exec
/// then really runs set-user-ID and must still keep the flag.
#[test]
#[ignore = "needs the prctl-network kernel: run by cargo xtask vm-test"]
fn restriction_survives_setuid_exec_without_nnp_as_root() {
    require_series();
    if !sys::has_sys_admin() {
        eprintln!("not CAP_SYS_ADMIN: covered by restriction_survives_setuid_exec_with_nnp");
        return;
    }
    let p = probe_or_panic();
    in_child(|| {
        expect_eq(
            "PR_SET_NETWORK without nnp as root",
            sys::set_off(),
            prctl_network_tests::outcome::Outcome::Ok(0),
        )?;
        let (euid0, ruid0) = ids();
        let got = exec_code(&[&p], false)?;
        check_code(
            "setuid probe after PR_NETWORK_OFF (root, no nnp)",
            got,
            probe::expected_code(true, euid0, ruid0),
        )?;
        Ok(String::new())
    })
    .unwrap();
}

/// Through a chain of execs (busybox sh -c 'exec probe').
#[test]
#[ignore = "needs the prctl-network kernel: run by cargo xtask vm-test"]
fn restriction_survives_exec_chain() {
    require_series();
    let p = probe_or_panic();
    let sh = ["/bin/busybox", "/bin/sh"]
        .into_iter()
        .find(|s| std::path::Path::new(s).exists())
        .expect("no /bin/busybox or /bin/sh");
    in_child(|| {
        sys::restrict_self();
        let (euid0, ruid0) = ids();
        let cmd = format!("exec {p} >/dev/null");
        let argv: Vec<&str> = if sh.ends_with("busybox") {
            vec![sh, "sh", "-c", &cmd]
        } else {
            vec![sh, "-c", &cmd]
        };
        let got = exec_code(&argv, false)?;
        check_code(
            "probe exec'd by a shell",
            got,
            probe::expected_code(true, euid0, ruid0),
        )?;
        Ok(String::new())
    })
    .unwrap();
}
