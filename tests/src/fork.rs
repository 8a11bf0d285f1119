//! Running test bodies in forked children.
//!
//! Restrictions are irreversible, so every body that changes process state
//! runs in a child made with `fork()`; the test process itself stays
//! unrestricted. The child runs the body under `catch_unwind`, sends its
//! result (or panic message) through a pipe and `_exit`s; an `alarm()`
//! kills a hung child. Output capture of the test harness does not reach
//! a forked child, so messages travel through the pipe.

use std::fs::File;
use std::io::{Read, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};

use nix::fcntl::OFlag;
use nix::unistd::{alarm, pipe2};

use crate::sys;

/// Seconds a forked test body may run before SIGALRM kills it.
pub const CHILD_TIMEOUT_SECS: u32 = 60;

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_string()
    }
}

/// Run `body` in a forked child; return what it returned (`Ok(text)`), or
/// `Err` with its error, panic message, or how it died.
pub fn in_child<F>(body: F) -> Result<String, String>
where
    F: FnOnce() -> Result<String, String>,
{
    let (r, w) = pipe2(OFlag::O_CLOEXEC).expect("pipe2");
    let (mut r, mut w) = (File::from(r), File::from(w));
    // SAFETY: the child only runs `body` and exits with _exit. (fork is
    // unsafe in nix too: a multi-threaded parent's child may only call
    // async-signal-safe functions, which the test bodies accept.)
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    if pid == 0 {
        drop(r);
        alarm::set(CHILD_TIMEOUT_SECS);
        let res = catch_unwind(AssertUnwindSafe(body));
        let (code, text) = match res {
            Ok(Ok(s)) => (0, format!("K{s}")),
            Ok(Err(e)) => (1, format!("E{e}")),
            Err(p) => (2, format!("Epanic in forked child: {}", panic_message(&*p))),
        };
        let _ = w.write_all(text.as_bytes());
        sys::exit_child(code);
    }
    drop(w);
    let mut out = Vec::new();
    let _ = r.read_to_end(&mut out);
    drop(r);
    let status = sys::wait_exit(pid);
    let text = String::from_utf8_lossy(&out).into_owned();
    match text.chars().next() {
        Some('K') if status.success() => Ok(text[1..].to_string()),
        Some('E') => Err(text[1..].to_string()),
        _ => Err(format!(
            "forked child died without a result ({status}); partial output: {text:?}"
        )),
    }
}

/// Run `body` in a forked child and panic with its message if it failed.
pub fn run_in_child<F>(body: F)
where
    F: FnOnce() -> Result<(), String>,
{
    if let Err(e) = in_child(|| body().map(|()| String::new())) {
        panic!("{e}");
    }
}

/// `Err` unless `got == want`.
pub fn expect_eq<T: PartialEq + std::fmt::Debug>(
    what: &str,
    got: T,
    want: T,
) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, want {want:?}"))
    }
}
