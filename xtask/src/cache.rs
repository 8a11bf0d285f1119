//! The one cache directory, outside the clone so that CI's fresh clone
//! reuses what earlier runs built:
//!
//! ```text
//! $PRCTL_NETWORK_CACHE (default $XDG_CACHE_HOME/prctl-network or ~/.cache/prctl-network)
//!   lock                     flock(2)ed by every xtask run that touches the cache
//!   downloads/               verified tarballs (+ vanilla.unavailable marker)
//!   src/<base-id>/           pristine trees; src/<base-id>.ok is written after a complete unpack
//!   work/<base-id>/src       patched tree; work/<base-id>/state says which series is applied
//!   work/<base-id>/applied/  copy of the applied series (to know what to restore later)
//!   build/<base-id>-<std|debug>-<config hash>-<gcc hash>/   O= build dir,
//!                            .pn-config.stamp / .pn-bzimage.stamp hold the keys they were made with
//!   run/                     initramfs staging, initramfs.cpio, console logs
//! ```

use crate::util::{say, Result};
use std::path::PathBuf;

pub fn dir() -> PathBuf {
    if let Some(d) = std::env::var_os("PRCTL_NETWORK_CACHE").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("prctl-network");
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
    PathBuf::from(home).join(".cache/prctl-network")
}

/// Held for the lifetime of the xtask: two concurrent runs would otherwise
/// patch and build the same trees at once.
pub struct Lock(#[allow(dead_code)] std::fs::File);

pub fn lock() -> Result<Lock> {
    let d = dir();
    std::fs::create_dir_all(&d)?;
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(d.join("lock"))?;
    // std's File::lock is flock(LOCK_EX) on Linux.
    if f.try_lock().is_err() {
        say(
            "cache",
            format!(
                "waiting for another xtask holding {}",
                d.join("lock").display()
            ),
        );
        f.lock()?;
    }
    Ok(Lock(f))
}
