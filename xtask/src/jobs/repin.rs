//! `cargo xtask repin --kernel <line>`: move a line pinned to a Debian
//! suite (a backports suite keeps only its newest kernel) to the version
//! the suite has now, after verifying it.
//!
//! apt checks the downloaded package against the suite's signed index;
//! repin then records the package's SHA-256 and that of the source tarball
//! inside it, so every later fetch is checked against the pin without
//! trusting the mirror again.

use crate::cache;
use crate::host_deps;
use crate::kernel::fetch::{downloaded_deb, suite_apt, suite_versions};
use crate::kernel::pin::Pin;
use crate::util::{remove_dir_all_if_exists, say, sha256_file, write_atomic, Result};
use anyhow::bail;
use std::process::Command;

pub const ABOUT: &str = "\
For a kernel line pinned to a Debian suite (`debian.suite` in its BASE, e.g.
7.3 on trixie-backports): find the newest linux-source version the suite has
now, download it (apt verifies it against the suite's signed index), compute
the SHA-256 of the .deb and of the source tarball inside, and rewrite the
line's BASE (version, debian.version, debian.deb-sha256,
debian.tarball-sha256). The series is not touched: build and test it on the
new base next (`cargo xtask vm-test --kernel LINE`).";

pub fn run(check_only: bool) -> Result<bool> {
    let _lock = cache::lock()?;
    host_deps::ensure(&[host_deps::FETCH])?;
    let pin = Pin::load()?;
    if !pin.has("debian.suite") {
        bail!(
            "{} pins no Debian suite (debian.suite): repin is for lines a suite keeps only the \
             newest version of; edit that BASE by hand",
            pin.path().display()
        );
    }
    let suite = pin.get("debian.suite")?;
    let package = pin.get("debian.package")?;
    let pinned = pin.get("debian.version")?;
    let work = cache::dir().join("repin");
    let opts = suite_apt(&work.join("apt"), suite)?;
    let versions = suite_versions(&opts, package);
    let Some(newest) = versions.first().cloned() else {
        bail!("{suite} offers no {package}");
    };
    if newest == pinned {
        say("repin", format!("{package} {pinned} is current in {suite}"));
        let _ = remove_dir_all_if_exists(&work);
        return Ok(true);
    }
    say(
        "repin",
        format!("{suite} has {package} {newest}; pinned: {pinned}"),
    );
    if check_only {
        return Ok(false);
    }
    let dl = work.join("dl");
    std::fs::create_dir_all(&dl)?;
    let out = Command::new("apt-get")
        .args(&opts)
        .args(["-q", "download", &format!("{package}={newest}")])
        .current_dir(&dl)
        .output()?;
    if !out.status.success() {
        bail!(
            "apt-get download {package}={newest} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let deb = downloaded_deb(&dl)?;
    let deb_sum = sha256_file(&deb)?;
    let x = dl.join("x");
    let st = Command::new("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(&x)
        .status()?;
    if !st.success() {
        bail!("dpkg-deb -x {} failed", deb.display());
    }
    let inner = pin.get("debian.tarball")?;
    let tarball = x.join(inner);
    if !tarball.exists() {
        bail!(
            "{} has no {inner} (the package's layout changed: update debian.tarball by hand)",
            deb.display()
        );
    }
    let tar_sum = sha256_file(&tarball)?;
    let upstream = newest.split('-').next().unwrap_or(&newest).to_string();
    let text = std::fs::read_to_string(pin.path())?;
    let new = rewrite(
        &text,
        &[
            ("version", upstream.as_str()),
            ("debian.version", newest.as_str()),
            ("debian.deb-sha256", deb_sum.as_str()),
            ("debian.tarball-sha256", tar_sum.as_str()),
        ],
    );
    write_atomic(pin.path(), new.as_bytes())?;
    say(
        "repin",
        format!(
            "{} now pins {package} {newest}\n    debian.deb-sha256 = {deb_sum}\n    debian.tarball-sha256 = {tar_sum}",
            pin.path().display()
        ),
    );
    let _ = remove_dir_all_if_exists(&work);
    Ok(true)
}

/// `text` (`key = value` lines) with the values of `keys` replaced,
/// comments and order kept.
pub fn rewrite(text: &str, keys: &[(&str, &str)]) -> String {
    text.lines()
        .map(|l| {
            let key = l.split_once('=').map(|(k, _)| k.trim());
            match keys
                .iter()
                .find(|(k, _)| Some(*k) == key && !l.trim_start().starts_with('#'))
            {
                Some((k, v)) => format!("{k} = {v}\n"),
                None => format!("{l}\n"),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn rewrite_keeps_comments_and_order() {
        let text = "# pin\nversion = 7.3.4\ndebian.version = 7.3.4-1~bpo13+1\n# debian.version = old\nother = x\n";
        let out = super::rewrite(
            text,
            &[("debian.version", "7.3.5-1~bpo13+1"), ("version", "7.3.5")],
        );
        assert_eq!(
            out,
            "# pin\nversion = 7.3.5\ndebian.version = 7.3.5-1~bpo13+1\n# debian.version = old\nother = x\n"
        );
    }
}
