//! Running make and the other kernel build commands: `make -C src O=build`
//! at a low priority, each command's output appended to a log whose tail
//! is shown when it fails. Used by every stage and job that builds.

use crate::util::Result;
use anyhow::bail;
use std::io::Write;
use std::path::Path;
use std::process::Command;

/// `nice -n 10 make -C <src> O=<build> ARCH=x86_64`.
pub fn make(src: &Path, build: &Path) -> Command {
    let mut c = Command::new("nice");
    c.args(["-n", "10", "make", "-C"])
        .arg(src)
        .arg(format!("O={}", build.display()))
        .arg("ARCH=x86_64");
    c
}

/// Run a command with stdout+stderr appended to `log`; on failure show its tail.
pub fn run_logged(cmd: &mut Command, log: &Path, what: &str) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?;
    writeln!(f, "\n### {what}: {cmd:?}")?;
    let st = cmd
        .stdout(f.try_clone()?)
        .stderr(f)
        .status()
        .map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
    if !st.success() {
        bail!(
            "{what} failed ({st}); last lines of {}:\n{}",
            log.display(),
            log_tail(log, 30)
        );
    }
    Ok(())
}

pub fn log_tail(log: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| format!("    {l}\n"))
        .collect()
}
