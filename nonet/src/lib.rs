//! `nonet`: run a command without the ability to open new network channels.
//!
//! The library half of the `nonet` binary: its manual ([`HELP`]), its exit
//! statuses and its command line ([`parse`], with `lexopt`). The binary
//! applies the restriction with the `prctl-network` crate and executes the
//! command. See the crate's README for what `nonet` does; to drop a
//! program's own network access from Rust, use the `prctl-network` crate.
//!
//! Exit status: 125 when nonet itself fails (usage, kernel support,
//! restriction), 126 when the command cannot be executed, 127 when it is
//! not found, as env(1) and nice(1) do; otherwise the command's own status
//! (nonet execs it).
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

use std::ffi::OsString;

/// nonet itself failed: bad usage, kernel support, the restriction.
pub const EXIT_FAILURE_NONET: u8 = 125;
/// The command was found but could not be executed.
pub const EXIT_CANNOT_EXECUTE: u8 = 126;
/// The command was not found.
pub const EXIT_NOT_FOUND: u8 = 127;

/// What nonet prints (after `nonet: `) when the kernel lacks
/// `PR_SET_NETWORK` and `--best-effort` was not given.
pub const UNSUPPORTED: &str = "kernel lacks PR_SET_NETWORK: the running kernel does not carry \
the prctl-network series (it is not in upstream Linux), or its prctl_network LSM is not \
enabled (lsm= / CONFIG_LSM); use --best-effort to fall back to seccomp and Landlock \
(weaker; nonet then says what is not enforced)";

/// The manual, printed by `nonet --help`.
pub const HELP: &str = "\
NAME
    nonet - run a program without access to the network

SYNOPSIS
    nonet [--best-effort] [--quiet] [--allow-setuid] [--] COMMAND [ARGUMENT...]
    nonet --status
    nonet --help | --version

DESCRIPTION
    nonet irrevocably turns off the ability to open new network channels
    (prctl PR_SET_NETWORK, PR_NETWORK_OFF) and then executes COMMAND,
    which inherits the restriction, as do all of its threads and
    children. A restricted process can only create AF_UNIX sockets, and
    cannot bind, connect or send to a non-AF_UNIX address or an abstract
    AF_UNIX name, even on sockets it inherited. Connected sockets it
    inherited, and filesystem AF_UNIX sockets, keep working, but only
    towards their own peer: no source routes or other redirecting socket
    options, no sends on raw, packet or netlink sockets, no listen()
    that would pick a port, no multicast joins, no TUN/TAP device, and
    no TIOCSTI into the terminal of the shell that started it.

    Programs usually report a refused connection as a name-resolution
    failure (\"could not resolve host\", \"Temporary failure in name
    resolution\"): the resolver's socket is the first one refused. Some,
    such as apt-get update, then still exit 0.

    Run as root, COMMAND can still reconfigure the system: with
    CAP_NET_ADMIN or CAP_SYS_ADMIN configure interfaces or mount network
    file systems, and as uid 0 even without any capability write
    /proc/sys/kernel/core_pattern or modprobe, whose programs the kernel
    starts unrestricted (in the initial namespaces: unshare -n does not
    help). To rule that out, run COMMAND as another user, without
    capabilities, for example:
        setpriv --reuid=nobody --regid=nogroup --clear-groups \\
            --inh-caps=-all --bounding-set=-all nonet -- COMMAND

    no_new_privs is set first, as the kernel requires it (or
    CAP_SYS_ADMIN): setuid and file-capability programs run by COMMAND
    do not gain privileges.

    The kernel must carry the prctl-network series with the
    prctl_network LSM enabled (CONFIG_LSM or lsm= on the kernel command
    line); otherwise nonet fails, unless --best-effort is given.

OPTIONS
    --best-effort
        On a kernel without PR_SET_NETWORK, fall back to a seccomp filter
        (no new non-AF_UNIX sockets, no io_uring at all, no ptrace,
        process_vm_readv/writev or pidfd_getfd at all, so debuggers and
        strace do not work under it) and a Landlock domain wherever the
        kernel has Landlock (no tracing of outside processes, /proc/PID/mem
        included; no TCP bind/connect and no connecting to outside abstract
        AF_UNIX sockets where the kernel's Landlock ABI has them), print a
        warning saying what is not enforced, and run COMMAND. This is weaker than PR_SET_NETWORK: for
        example sendto() on an inherited UDP socket still works. Fails if
        nothing at all can be enforced. 32-bit (i386, arm32) programs are
        killed under the fallback. Each nested nonet --best-effort adds a
        Landlock layer; past the kernel's 16 nonet says so and fails.

    -q, --quiet
        Do not print the warnings of --best-effort (what is NOT
        enforced) or about threads; errors are still printed.

    --allow-setuid
        Do not set no_new_privs. Needs CAP_SYS_ADMIN; setuid programs run
        by COMMAND keep working (and stay without network).

    --status
        Print whether nonet itself (and thus the shell or program that
        started it) runs with the network off, as the kernel flag says:
        \"network: on\" or \"network: off\". The kernel does not expose
        this for other processes. Without the flag to read (a kernel
        without PR_SET_NETWORK, or PR_GET_NETWORK refused, e.g. by a
        seccomp filter) the answer is \"network: unknown (...)\", never
        on or off: the parentheses say why, then what nonet observed
        (whether a probe AF_INET socket is refused, the seccomp and
        no_new_privs state). Those are observations, not a verdict: a
        seccomp filter that denies only AF_INET sockets looks the same
        while IPv6 still works, and nonet --best-effort leaves open
        channels that PR_SET_NETWORK closes.

    -h, --help
        Print this help and exit.

    -V, --version
        Print the version and exit.

EXIT STATUS
    125  nonet itself failed: bad usage, the kernel lacks PR_SET_NETWORK
         (without --best-effort), or the restriction could not be applied
    126  COMMAND was found but could not be executed
    127  COMMAND was not found
    Otherwise the exit status of COMMAND, which nonet replaces.
    For --status: 0, or 125 if PR_GET_NETWORK failed other than with
    EINVAL (the line \"network: unknown (...)\" is still printed).

EXAMPLES
    Build without network access:
        nonet make

    Check that a shell inherited the restriction:
        nonet sh -c 'nonet --status'

    Use seccomp and Landlock where the kernel lacks PR_SET_NETWORK:
        nonet --best-effort ./untrusted-tool

SEE ALSO
    prctl(2), seccomp(2), landlock(7), setpriv(1), unshare(1)
";

/// How to run the command.
#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    /// `--best-effort`: fall back to seccomp and Landlock.
    pub best_effort: bool,
    /// `-q`, `--quiet`: no warnings.
    pub quiet: bool,
    /// `--allow-setuid`: do not set `no_new_privs`.
    pub allow_setuid: bool,
    /// The command and its arguments (never empty).
    pub command: Vec<OsString>,
}

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Mode {
    /// Restrict, then execute a command.
    Run(Options),
    /// `--status`.
    Status,
    /// `-h`, `--help`.
    Help,
    /// `-V`, `--version`.
    Version,
}

/// Parses the arguments after the program name. Options end at the first
/// argument that is not one (or at `--`): the rest is the command, with
/// its own options.
///
/// ```
/// use nonet::{parse, Mode};
///
/// let Ok(Mode::Run(o)) = parse(["--best-effort", "ls", "-l"].map(Into::into)) else {
///     panic!()
/// };
/// assert!(o.best_effort);
/// assert_eq!(o.command, ["ls", "-l"]);
/// assert_eq!(parse(["--status"].map(Into::into)), Ok(Mode::Status));
/// ```
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Mode, String> {
    use lexopt::prelude::*;

    let mut opts = Options {
        best_effort: false,
        quiet: false,
        allow_setuid: false,
        command: Vec::new(),
    };
    let mut status = false;
    let mut parser = lexopt::Parser::from_args(args);
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Short('h') | Long("help") => return Ok(Mode::Help),
            Short('V') | Long("version") => return Ok(Mode::Version),
            Long("best-effort") => opts.best_effort = true,
            Short('q') | Long("quiet") => opts.quiet = true,
            Long("allow-setuid") => opts.allow_setuid = true,
            Long("status") => status = true,
            Value(program) => {
                opts.command.push(program);
                opts.command
                    .extend(parser.raw_args().map_err(|e| e.to_string())?);
                break;
            }
            _ => return Err(arg.unexpected().to_string()),
        }
    }
    if status {
        if !opts.command.is_empty() || opts.best_effort || opts.quiet || opts.allow_setuid {
            return Err(
                "--status takes no other option and no argument: the kernel does not expose \
                 another process's restriction"
                    .into(),
            );
        }
        return Ok(Mode::Status);
    }
    if opts.command.is_empty() {
        return Err("no command given".into());
    }
    Ok(Mode::Run(opts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Mode, String> {
        parse(args.iter().map(OsString::from))
    }

    fn run_opts(args: &[&str]) -> Options {
        match p(args) {
            Ok(Mode::Run(o)) => o,
            Ok(_) => panic!("{args:?}: not a run"),
            Err(e) => panic!("{args:?}: {e}"),
        }
    }

    #[test]
    fn options_stop_at_the_command() {
        let o = run_opts(&["--best-effort", "ls", "--best-effort", "-l"]);
        assert!(o.best_effort && !o.allow_setuid);
        assert_eq!(o.command, ["ls", "--best-effort", "-l"]);
        let o = run_opts(&["--", "--weird-name", "x"]);
        assert!(!o.best_effort);
        assert_eq!(o.command, ["--weird-name", "x"]);
        let o = run_opts(&["--allow-setuid", "-"]);
        assert!(o.allow_setuid);
        assert_eq!(o.command, ["-"]);
        let o = run_opts(&["ls", "--", "x"]);
        assert_eq!(o.command, ["ls", "--", "x"]);
    }

    #[test]
    fn modes_and_errors() {
        assert!(matches!(p(&["--help", "x"]), Ok(Mode::Help)));
        assert!(matches!(
            p(&["-q", "ls"]),
            Ok(Mode::Run(Options { quiet: true, .. }))
        ));
        assert!(p(&["--status", "--quiet"]).is_err());
        assert!(matches!(p(&["-V"]), Ok(Mode::Version)));
        assert!(matches!(p(&["--status"]), Ok(Mode::Status)));
        assert!(p(&["--status", "1234"])
            .unwrap_err()
            .contains("does not expose"));
        assert!(p(&[]).unwrap_err().contains("no command"));
        assert!(p(&["--best-effort"]).unwrap_err().contains("no command"));
        assert!(p(&["--bogus", "ls"]).unwrap_err().contains("'--bogus'"));
        assert!(p(&["--best-effort=yes", "ls"]).is_err());
    }
}
