//! The `nonet` command. Host tests adapt to the kernel (with or without
//! the series, checked with the raw prctl); VM-only tests are #[ignore]d.

use std::path::PathBuf;
use std::process::{Command, Output};

use nix::errno::Errno;

/// Whether the kernel has the series (raw PR_GET_NETWORK, independent of
/// the crates nonet is built on).
fn kernel_has_series() -> bool {
    let r = prctl_network_sys::prctl_get_network();
    if r == -1 {
        assert_eq!(
            Errno::last(),
            Errno::EINVAL,
            "PR_GET_NETWORK failed otherwise"
        );
    }
    r != -1
}

/// The nonet binary: cargo's build path on the host, else from the VM's
/// initramfs (/bin or $PATH).
fn nonet() -> PathBuf {
    let built = PathBuf::from(env!("CARGO_BIN_EXE_nonet"));
    if built.exists() {
        return built;
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/bin:/usr/bin".into());
    std::env::split_paths(&path)
        .chain([PathBuf::from("/bin"), PathBuf::from("/usr/bin")])
        .map(|d| d.join("nonet"))
        .find(|p| p.exists())
        .expect("nonet binary not found")
}

fn run(args: &[&str]) -> Output {
    Command::new(nonet())
        .args(args)
        .output()
        .expect("spawn nonet")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn help_in_setpriv_style() {
    let o = run(&["--help"]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    for section in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "OPTIONS",
        "EXIT STATUS",
        "EXAMPLES",
    ] {
        assert!(out.contains(&format!("\n{section}\n")) || out.starts_with(section));
    }
    assert!(out.contains("--best-effort"));
    let o = run(&["--version"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).starts_with("nonet "));
}

#[test]
fn usage_errors_exit_125() {
    for args in [&[][..], &["--bogus", "true"], &["--status", "1"]] {
        let o = run(args);
        assert_eq!(code(&o), 125, "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).starts_with("nonet: "), "{}", stderr(&o));
    }
}

#[test]
fn strict_mode_matches_kernel_support() {
    // nonet itself as the command: the VM's initramfs has no true(1).
    let me = nonet();
    let o = run(&[me.to_str().unwrap(), "--version"]);
    if kernel_has_series() {
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    } else {
        assert_eq!(code(&o), 125);
        let err = stderr(&o);
        assert!(err.contains("kernel lacks PR_SET_NETWORK"), "{err}");
        assert!(err.contains("use --best-effort"), "{err}");
        // Shell advice, not the library's advice to Rust callers.
        assert!(!err.contains("Restriction::"), "{err}");
    }
}

#[test]
fn status_matches_kernel_support() {
    let o = run(&["--status"]);
    if kernel_has_series() {
        assert_eq!((code(&o), stdout(&o).as_str()), (0, "network: on\n"));
    } else {
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let out = stdout(&o);
        assert!(
            out.starts_with("network: unknown (the kernel lacks PR_SET_NETWORK"),
            "{out}"
        );
        assert!(out.contains("observed: socket(AF_INET) allowed"), "{out}");
    }
}

#[test]
fn status_under_best_effort_reports_what_is_observed() {
    if kernel_has_series() {
        eprintln!("covered by nonet_runs_command_with_network_off (VM)");
        return;
    }
    let me = nonet();
    let o = run(&["--best-effort", "--quiet", me.to_str().unwrap(), "--status"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    // The fallback leaves channels open: no verdict, only observations.
    assert!(
        out.starts_with("network: unknown (the kernel lacks PR_SET_NETWORK"),
        "{out}"
    );
    assert!(out.contains("observed: socket(AF_INET) refused"), "{out}");
    assert!(out.contains("seccomp filter in force"), "{out}");
    assert!(out.contains("no_new_privs set"), "{out}");
}

/// `nonet --status` run under a seccomp filter (installed between fork and
/// exec) that makes `socket(AF_INET)`, or `prctl(PR_GET_NETWORK)`, fail
/// with `EPERM` and allows everything else.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
fn status_under_filter(nr: i64, arg0: u32) -> Output {
    use nix::libc;
    use std::os::unix::process::CommandExt;

    #[cfg(target_arch = "x86_64")]
    const AUDIT_ARCH: u32 = 0xc000_003e;
    #[cfg(target_arch = "aarch64")]
    const AUDIT_ARCH: u32 = 0xc000_00b7;
    let stmt = |code: u32, k: u32| libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    };
    let jeq = |k: u32, jf: u8| libc::sock_filter {
        code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
        jt: 0,
        jf,
        k,
    };
    let load = libc::BPF_LD | libc::BPF_W | libc::BPF_ABS;
    // seccomp_data: nr at 0, arch at 4, args[0] (low half) at 16.
    let filter = [
        stmt(load, 4),
        jeq(AUDIT_ARCH, 5),
        stmt(load, 0),
        jeq(nr as u32, 3),
        stmt(load, 16),
        jeq(arg0, 1),
        stmt(
            libc::BPF_RET | libc::BPF_K,
            libc::SECCOMP_RET_ERRNO | libc::EPERM as u32,
        ),
        stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW),
    ];
    let mut cmd = Command::new(nonet());
    cmd.arg("--status");
    // SAFETY: between fork and exec only prctl() and seccomp() run, with
    // integers and the filter, which the kernel copies.
    unsafe {
        cmd.pre_exec(move || {
            let prog = libc::sock_fprog {
                len: filter.len() as u16,
                filter: filter.as_ptr() as *mut libc::sock_filter,
            };
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                || libc::syscall(
                    libc::SYS_seccomp,
                    libc::SECCOMP_SET_MODE_FILTER,
                    0,
                    &prog as *const libc::sock_fprog,
                ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.output().expect("spawn nonet under a seccomp filter")
}

/// Someone else's seccomp filter denying only `socket(AF_INET)` (IPv6 and
/// everything else still reach the network) must not read as "network:
/// off": only the kernel flag says on or off.
#[test]
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
fn status_under_a_filter_denying_only_inet_is_not_off() {
    let o = status_under_filter(nix::libc::SYS_socket, nix::libc::AF_INET as u32);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(!out.starts_with("network: off"), "{out}");
    if kernel_has_series() {
        assert_eq!(out, "network: on\n");
    } else {
        assert!(
            out.starts_with("network: unknown (the kernel lacks PR_SET_NETWORK"),
            "{out}"
        );
        assert!(out.contains("observed: socket(AF_INET) refused"), "{out}");
    }
}

/// `PR_GET_NETWORK` refused by a filter says nothing about the kernel:
/// not "the kernel lacks PR_SET_NETWORK".
#[test]
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
fn status_with_pr_get_network_refused_is_unknown_not_missing() {
    let get = prctl_network_sys::PR_GET_NETWORK as u32;
    let o = status_under_filter(nix::libc::SYS_prctl, get);
    assert_eq!(code(&o), 125, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("network: unknown (PR_GET_NETWORK failed: Operation not permitted"),
        "{out}"
    );
    assert!(!out.contains("lacks"), "{out}");
    assert!(
        stderr(&o).starts_with("nonet: cannot read the network restriction"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn exec_failures_are_126_and_127_and_status_passes_through() {
    let o = run(&["--best-effort", "/nonexistent/command"]);
    assert_eq!(code(&o), 127, "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot execute '/nonexistent/command'"));
    let o = run(&["--best-effort", "/"]);
    assert_eq!(code(&o), 126, "{}", stderr(&o));
    if std::path::Path::new("/bin/sh").exists() {
        let o = run(&["--best-effort", "--", "/bin/sh", "-c", "exit 7"]);
        assert_eq!(code(&o), 7, "{}", stderr(&o));
    } else {
        eprintln!("no /bin/sh: exit status pass-through not checked here");
    }
}

#[test]
fn best_effort_blocks_tcp_from_the_command() {
    if kernel_has_series() {
        eprintln!("covered by nonet_runs_command_with_network_off (VM)");
        return;
    }
    if !std::path::Path::new("/bin/bash").exists() {
        panic!("this host test needs /bin/bash (for /dev/tcp)");
    }
    // Control: without nonet, bash creates the socket (the connection to a
    // closed port is then refused, not denied).
    let o = Command::new("/bin/bash")
        .args(["-c", "exec 3<>/dev/tcp/127.0.0.1/9"])
        .output()
        .unwrap();
    assert!(
        !stderr(&o).contains("Operation not permitted"),
        "{}",
        stderr(&o)
    );

    let o = run(&[
        "--best-effort",
        "/bin/bash",
        "-c",
        "exec 3<>/dev/tcp/127.0.0.1/9",
    ]);
    assert_ne!(code(&o), 0);
    let err = stderr(&o);
    assert!(
        err.contains("nonet: warning: PR_SET_NETWORK unavailable"),
        "{err}"
    );
    assert!(err.contains("NOT enforced"), "{err}");
    assert!(err.contains("name-resolution failure"), "{err}");
    assert!(err.contains("socket: Operation not permitted"), "{err}");

    // --quiet: the same denial, without nonet's warning.
    let o = run(&[
        "--best-effort",
        "--quiet",
        "/bin/bash",
        "-c",
        "exec 3<>/dev/tcp/127.0.0.1/9",
    ]);
    assert_ne!(code(&o), 0);
    let err = stderr(&o);
    assert!(!err.contains("nonet: warning"), "{err}");
    assert!(err.contains("socket: Operation not permitted"), "{err}");
}

#[test]
#[ignore = "needs the prctl-network kernel: run by `cargo xtask vm-test`"]
fn nonet_runs_command_with_network_off() {
    let me = nonet();
    let me = me.to_str().unwrap();
    let o = run(&["--status"]);
    assert_eq!((code(&o), stdout(&o).as_str()), (0, "network: on\n"));
    for mode in [&[][..], &["--best-effort"]] {
        let mut args = mode.to_vec();
        args.extend([me, "--status"]);
        let o = run(&args);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert_eq!(stdout(&o), "network: off\n");
        // Full enforcement: no warning.
        assert_eq!(stderr(&o), "", "{args:?}");
    }
}
