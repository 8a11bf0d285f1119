//! Small helpers shared by every job: errors, phase lines with timings,
//! hashing (through coreutils' `sha256sum`, so no crypto crate is needed),
//! atomic stamp files and tree copies.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub use anyhow::Result;

/// Root of the workspace (the parent of `xtask/`).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// A `[phase] message` line. Everything the xtask says goes through here
/// so the output can be grepped by phase.
pub fn say(phase: &str, msg: impl AsRef<str>) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "[{phase}] {}", msg.as_ref());
    let _ = out.flush();
}

/// Times one step and prints `[phase] msg (12.3s)` when it is done.
pub struct Step {
    phase: &'static str,
    start: Instant,
}

impl Step {
    pub fn start(phase: &'static str, msg: impl AsRef<str>) -> Step {
        say(phase, msg);
        Step {
            phase,
            start: Instant::now(),
        }
    }
    pub fn done(self, msg: impl AsRef<str>) {
        say(
            self.phase,
            format!(
                "{} ({})",
                msg.as_ref(),
                fmt_dur(self.start.elapsed().as_secs_f64())
            ),
        );
    }
}

pub fn fmt_dur(secs: f64) -> String {
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        let s = secs as u64;
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

pub fn stdout_is_tty() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal()
}

/// Whether this process runs as root (it may then apt-get what is missing).
pub fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    // The owner of /proc/self is the effective uid.
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// sha256 of a file, hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let sh = xshell::Shell::new()?;
    let text = xshell::cmd!(sh, "sha256sum {path}").quiet().read()?;
    Ok(text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string())
}

/// sha256 of some bytes, hex.
pub fn sha256_bytes(data: &[u8]) -> Result<String> {
    let sh = xshell::Shell::new()?;
    let text = xshell::cmd!(sh, "sha256sum").stdin(data).quiet().read()?;
    Ok(text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string())
}

/// Check a downloaded file; on mismatch delete it and fail naming both sums.
pub fn verify_sha256(path: &Path, expected: &str, what: &str) -> Result<()> {
    let actual = sha256_file(path)?;
    if actual != expected {
        let _ = std::fs::remove_file(path);
        anyhow::bail!(
            "checksum mismatch for {what} {}\n  expected sha256 {expected}\n  actual   sha256 {actual}\n  the file was deleted",
            path.display()
        );
    }
    Ok(())
}

/// Write a file atomically (tmp + rename): a stamp is either complete or absent.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp-write");
    std::fs::write(&tmp, contents)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

pub fn read_opt(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

pub fn remove_dir_all_if_exists(path: &Path) -> Result<()> {
    match std::fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(anyhow::anyhow!("removing {}: {e}", path.display())),
    }
}

/// Recursive copy preserving symlinks and permission bits, but not mtimes:
/// every copied file is "new" to make, so a fresh copy next to an old build
/// directory can only cause rebuilds, never stale objects. `skip` names
/// entries skipped at the top level (e.g. `.git`).
pub fn copy_tree(src: &Path, dst: &Path, skip: &[&str]) -> Result<()> {
    std::fs::create_dir_all(dst)?;
    for entry in std::fs::read_dir(src)? {
        let entry = entry?;
        let name = entry.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        copy_entry(&entry.path(), &dst.join(&name))?;
    }
    Ok(())
}

fn copy_entry(src: &Path, dst: &Path) -> Result<()> {
    let meta = std::fs::symlink_metadata(src)?;
    let ft = meta.file_type();
    if ft.is_symlink() {
        std::os::unix::fs::symlink(std::fs::read_link(src)?, dst)?;
    } else if ft.is_dir() {
        std::fs::create_dir_all(dst)?;
        for entry in std::fs::read_dir(src)? {
            let entry = entry?;
            copy_entry(&entry.path(), &dst.join(entry.file_name()))?;
        }
    } else if ft.is_file() {
        std::fs::copy(src, dst)
            .map_err(|e| anyhow::anyhow!("copy {} -> {}: {e}", src.display(), dst.display()))?;
    }
    Ok(())
}

/// Search PATH for an executable.
pub fn which(tool: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(tool))
        .find(|p| {
            p.metadata()
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}

/// Number of CPUs to use for make by default.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}
