//! `cargo xtask kernel-docs`: the series' documentation built the kernel's
//! way — `make SPHINXDIRS=userspace-api htmldocs` with Debian's Sphinx, no
//! warning about the files the series adds or changes — and
//! `scripts/kernel-doc -none -Wall` clean on the module's sources.

use crate::cache;
use crate::host_deps;
use crate::kernel::fetch;
use crate::kernel::make::run_logged;
use crate::kernel::pin::Pin;
use crate::kernel::tree::{self, Series};
use crate::util::{say, Result, Step};
use std::process::Command;

pub const ABOUT: &str = "\
On the patched tree (the same one `cargo xtask kernel` builds):
  1. make O=<cache>/docs SPHINXDIRS=userspace-api htmldocs
     fails on any Sphinx WARNING or ERROR naming a file the series touches
     (other files' warnings are the base tree's and are only counted);
  2. scripts/kernel-doc -none -Wall on every .c and .h of
     security/prctl_network/: fails on any output.
Sphinx (python3-sphinx, the RTD theme, python3-yaml) is installed with
apt-get when missing (as root). The HTML is left in <cache>/docs/Documentation/output.";

pub fn run(source: &fetch::SourceOpts) -> Result<bool> {
    let _lock = cache::lock()?;
    host_deps::ensure(&[
        host_deps::FETCH,
        host_deps::PATCH,
        host_deps::KERNEL,
        host_deps::SPHINX,
    ])?;
    let pin = Pin::load()?;
    let series = Series::load()?;
    let pristine = fetch::pristine(&pin, source)?;
    let src = tree::patched(&pristine, &series)?;
    let touched = series.touched();
    let mut ok = true;

    // 1. Sphinx.
    let out = cache::dir().join("docs");
    std::fs::create_dir_all(&out)?;
    let log = out.join("htmldocs.log");
    std::fs::write(&log, "")?;
    // Sphinx re-reads only documents newer than its last build, and says
    // nothing about the others: the series' documents are made new, so that
    // every run reports their warnings, not just the run after a change.
    for f in touched.iter().filter(|f| f.ends_with(".rst")) {
        if let Ok(file) = std::fs::File::options().write(true).open(src.join(f)) {
            file.set_modified(std::time::SystemTime::now())?;
        }
    }
    let step = Step::start(
        "docs",
        format!(
            "make SPHINXDIRS=userspace-api htmldocs (log: {})",
            log.display()
        ),
    );
    run_logged(
        Command::new("make")
            .arg("-C")
            .arg(&src)
            .arg(format!("O={}", out.display()))
            .args(["SPHINXDIRS=userspace-api", "htmldocs"]),
        &log,
        "make htmldocs",
    )?;
    let text = std::fs::read_to_string(&log)?;
    let (ours, others) = sphinx_warnings(&text, &touched);
    if ours.is_empty() {
        step.done(format!(
            "no warning about the series' documents ({} about the base tree's)",
            others
        ));
    } else {
        step.done(format!(
            "{} warning(s) about the series' documents",
            ours.len()
        ));
        for w in &ours {
            say("docs", format!("  {w}"));
        }
        ok = false;
    }
    let html = out.join("Documentation/output/userspace-api/prctl-network.html");
    if !html.exists() {
        say(
            "docs",
            format!("FAILED: {} was not produced", html.display()),
        );
        ok = false;
    }

    // 2. kernel-doc on the sources.
    let mut files: Vec<String> = touched
        .iter()
        .filter(|f| {
            f.starts_with("security/prctl_network/") && (f.ends_with(".c") || f.ends_with(".h"))
        })
        .cloned()
        .collect();
    files.sort();
    let kd = Command::new("perl")
        .arg(src.join("scripts/kernel-doc"))
        .args(["-none", "-Wall"])
        .args(&files)
        .current_dir(&src)
        .output()?;
    let msg = format!(
        "{}{}",
        String::from_utf8_lossy(&kd.stdout),
        String::from_utf8_lossy(&kd.stderr)
    );
    if kd.status.success() && msg.trim().is_empty() {
        say(
            "docs",
            format!(
                "scripts/kernel-doc -none -Wall: {} file(s) clean",
                files.len()
            ),
        );
    } else {
        say(
            "docs",
            format!(
                "FAILED: scripts/kernel-doc -none -Wall ({}):\n{msg}",
                kd.status
            ),
        );
        ok = false;
    }
    Ok(ok)
}

/// Sphinx's WARNING/ERROR lines naming a file of the series, and the
/// number of the others.
fn sphinx_warnings(
    log: &str,
    touched: &std::collections::BTreeSet<String>,
) -> (Vec<String>, usize) {
    let mut ours = Vec::new();
    let mut others = 0;
    for l in log.lines() {
        if !(l.contains("WARNING:") || l.contains("ERROR:") || l.contains("CRITICAL:")) {
            continue;
        }
        if touched.iter().any(|f| l.contains(f.as_str())) {
            ours.push(l.to_string());
        } else {
            others += 1;
        }
    }
    (ours, others)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_split_by_file() {
        let touched = ["Documentation/userspace-api/prctl-network.rst".to_string()]
            .into_iter()
            .collect();
        let log = "\
/src/Documentation/userspace-api/prctl-network.rst:12: WARNING: Title underline too short.
/src/Documentation/userspace-api/landlock.rst:3: WARNING: duplicate label
checking consistency... done
/src/Documentation/userspace-api/prctl-network.rst:40: ERROR: Unknown directive type \"foo\".
";
        let (ours, others) = sphinx_warnings(log, &touched);
        assert_eq!(ours.len(), 2);
        assert_eq!(others, 1);
    }
}
