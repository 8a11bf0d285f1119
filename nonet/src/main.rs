//! `nonet`: run a command without the ability to open new network channels.
//!
//! See `nonet --help`, and the library half (`nonet::parse`, the exit
//! statuses) in `lib.rs`.

use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode};

use nonet::{
    parse, Mode, Options, EXIT_CANNOT_EXECUTE, EXIT_FAILURE_NONET, EXIT_NOT_FOUND, HELP,
    UNSUPPORTED,
};
use prctl_network::{Enforcement, Error, Restriction, Support, ThreadScope, UnknownReason};

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("nonet: {msg}");
    ExitCode::from(EXIT_FAILURE_NONET)
}

/// `--status`: the kernel flag, or "network: unknown (...)" with what was
/// observed; never "off" from an observation (a seccomp filter denying only
/// `socket(AF_INET)` would look the same).
fn status() -> ExitCode {
    let observed = prctl_network::observe();
    println!("{observed}");
    match observed.support {
        Support::Unknown {
            error: UnknownReason::Errno(errno),
        } => fail(format!(
            "cannot read the network restriction: PR_GET_NETWORK failed: {}",
            std::io::Error::from_raw_os_error(errno)
        )),
        _ => ExitCode::SUCCESS,
    }
}

fn run(opts: Options) -> ExitCode {
    let restriction = Restriction::new()
        .best_effort(opts.best_effort)
        .no_new_privs(!opts.allow_setuid);
    let status = match restriction.restrict() {
        Ok(status) => status,
        // The library's text advises Rust callers; this is the shell's.
        Err(Error::Unsupported) => return fail(UNSUPPORTED),
        Err(e) => return fail(format!("cannot turn the network off: {e}")),
    };
    match &status.enforcement {
        Enforcement::FullyEnforced => {}
        Enforcement::NotEnforced => {
            return fail(
                "kernel lacks PR_SET_NETWORK, and neither seccomp nor Landlock is \
                 available: refusing to run the command with network access",
            )
        }
        _ if opts.quiet => {}
        _ => eprintln!(
            "nonet: warning: PR_SET_NETWORK unavailable; {status} \
             (refused programs usually report a name-resolution failure)"
        ),
    }
    // The fallback's warning above names its threads itself.
    if status.enforcement == Enforcement::FullyEnforced
        && status.threads != ThreadScope::WholeProcess
        && !opts.quiet
    {
        eprintln!("nonet: warning: {status}");
    }

    let mut command = opts.command.into_iter();
    let program = command.next().expect("parse() ensures a command");
    let err = Command::new(&program).args(command).exec();
    eprintln!(
        "nonet: cannot execute '{}': {err}",
        program.to_string_lossy()
    );
    ExitCode::from(if err.kind() == std::io::ErrorKind::NotFound {
        EXIT_NOT_FOUND
    } else {
        EXIT_CANNOT_EXECUTE
    })
}

fn main() -> ExitCode {
    match parse(std::env::args_os().skip(1)) {
        Ok(Mode::Help) => {
            print!("{HELP}");
            ExitCode::SUCCESS
        }
        Ok(Mode::Version) => {
            println!("nonet (prctl-network) {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Ok(Mode::Status) => status(),
        Ok(Mode::Run(opts)) => run(opts),
        Err(msg) => {
            eprintln!("nonet: {msg}\nTry 'nonet --help' for more information.");
            ExitCode::from(EXIT_FAILURE_NONET)
        }
    }
}
