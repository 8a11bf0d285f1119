//! The kernel lines the series is carried on, and which one this run uses.
//!
//! `6.12` (default): `patches/` — the series against the LTS in Debian
//! stable, vanilla or Debian's tree. `7.3`: `patches/7.3/` — the same
//! features against the newest kernel Debian ships (its backports suite),
//! Debian's tree only. Each directory holds its own `series`, `BASE` and
//! patch files; the crates, tests and VM harness are shared. The 6.12
//! series stays at the top of `patches/` because that is where a
//! distribution's patch queue (quilt) and every existing link expect it.

use crate::util::project_root;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Line {
    #[value(name = "6.12")]
    V6_12,
    #[value(name = "7.3")]
    V7_3,
}

pub const ALL: [Line; 2] = [Line::V6_12, Line::V7_3];

impl Line {
    pub fn name(self) -> &'static str {
        match self {
            Line::V6_12 => "6.12",
            Line::V7_3 => "7.3",
        }
    }

    /// The directory of this line's series, `BASE` and patches.
    pub fn dir(self) -> PathBuf {
        match self {
            Line::V6_12 => project_root().join("patches"),
            Line::V7_3 => project_root().join("patches/7.3"),
        }
    }
}

/// Index into [`ALL`] of the line in use.
static CURRENT: AtomicUsize = AtomicUsize::new(0);

/// Chooses the line for what follows (from `--kernel`; `ci` switches
/// between lines step by step).
pub fn set(line: Line) {
    let i = ALL.iter().position(|l| *l == line).unwrap_or(0);
    CURRENT.store(i, Ordering::SeqCst);
}

/// The line in use (6.12 unless `--kernel` said otherwise).
pub fn current() -> Line {
    ALL[CURRENT.load(Ordering::SeqCst)]
}
