//! Getting a pristine kernel source tree.
//!
//! `--base vanilla`: the upstream tarball as Debian ships it (orig.tar.xz of
//! the source package) through `apt-get source --download-only`, using
//! temporary deb-src entries derived from the machine's configured `deb`
//! entries (so no mirror host is hard-coded here). `--base debian`: the
//! binary package linux-source-X which carries Debian's patched tree as a
//! tarball. `--base auto` (default) tries vanilla and falls back, loudly,
//! to debian. `--kernel-tarball` / `--kernel-tree` bypass downloading.

use crate::cache;
use crate::host_deps;
use crate::kernel::pin::Pin;
use crate::util::{
    is_root, remove_dir_all_if_exists, say, sha256_bytes, sha256_file, verify_sha256, write_atomic,
    Result, Step,
};
use anyhow::bail;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum Base {
    Auto,
    Vanilla,
    Debian,
}

#[derive(Clone, Debug, Default)]
pub struct SourceOpts {
    pub base: Option<Base>,
    pub tarball: Option<PathBuf>,
    pub tree: Option<PathBuf>,
    pub no_verify: bool,
}

impl SourceOpts {
    /// Explicit options win over PRCTL_NETWORK_KERNEL_TARBALL / _TREE.
    pub fn with_env(mut self) -> SourceOpts {
        if self.tarball.is_none() && self.tree.is_none() {
            if let Some(t) = std::env::var_os("PRCTL_NETWORK_KERNEL_TREE").filter(|v| !v.is_empty())
            {
                self.tree = Some(t.into());
            } else if let Some(t) =
                std::env::var_os("PRCTL_NETWORK_KERNEL_TARBALL").filter(|v| !v.is_empty())
            {
                self.tarball = Some(t.into());
            }
        }
        self
    }
}

/// A pristine (unpatched) tree and the id that keys everything built from it.
#[derive(Clone, Debug)]
pub struct Pristine {
    pub id: String,
    pub tree: PathBuf,
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

pub fn vanilla_id(pin: &Pin) -> Result<String> {
    Ok(format!("vanilla-{}", sanitize(pin.get("version")?)))
}
pub fn debian_id(pin: &Pin) -> Result<String> {
    Ok(format!("debian-{}", sanitize(pin.get("debian.version")?)))
}

fn src_dir(id: &str) -> PathBuf {
    cache::dir().join("src").join(id)
}

/// The pristine tree for `id` if a complete unpack of it is cached.
pub fn cached(id: &str) -> Option<Pristine> {
    let tree = src_dir(id);
    let ok = cache::dir().join("src").join(format!("{id}.ok"));
    (ok.exists() && tree.join("Makefile").exists()).then(|| Pristine {
        id: id.to_string(),
        tree,
    })
}

/// Resolve the options to a pristine tree, fetching and unpacking as needed.
pub fn pristine(pin: &Pin, opts: &SourceOpts) -> Result<Pristine> {
    if let Some(tree) = &opts.tree {
        let tree = std::fs::canonicalize(tree)
            .map_err(|e| anyhow::anyhow!("--kernel-tree {}: {e}", tree.display()))?;
        if !tree.join("Makefile").exists() || !tree.join("scripts/kconfig").exists() {
            bail!(
                "--kernel-tree {} does not look like a kernel source tree",
                tree.display()
            );
        }
        let h = sha256_bytes(tree.as_os_str().as_encoded_bytes())?;
        say(
            "fetch",
            format!(
                "using the maintainer tree {} as-is (copied before patching)",
                tree.display()
            ),
        );
        return Ok(Pristine {
            id: format!("tree-{}", &h[..12]),
            tree,
        });
    }
    if let Some(tarball) = &opts.tarball {
        let sum = sha256_file(tarball)
            .map_err(|e| anyhow::anyhow!("--kernel-tarball {}: {e}", tarball.display()))?;
        let expected = pin.get("vanilla.sha256")?;
        let id = if opts.no_verify {
            say(
                "fetch",
                format!(
                    "{}: not verified (--no-verify), sha256 {sum}",
                    tarball.display()
                ),
            );
            if sum == expected {
                vanilla_id(pin)?
            } else {
                format!("tarball-{}", &sum[..12])
            }
        } else {
            if sum != expected {
                bail!(
                    "--kernel-tarball {} is not the pinned vanilla tarball\n  expected sha256 {expected}\n  actual   sha256 {sum}\n  (pass --no-verify to use it anyway)",
                    tarball.display()
                );
            }
            vanilla_id(pin)?
        };
        if let Some(p) = cached(&id) {
            return Ok(p);
        }
        return unpack(tarball, &id);
    }
    match opts.base.unwrap_or(Base::Auto) {
        Base::Vanilla => vanilla(pin),
        Base::Debian => debian(pin),
        Base::Auto if !pin.has("vanilla.tarball") => {
            say(
                "fetch",
                format!(
                    "{} pins Debian's tree only (no vanilla tarball): --base debian",
                    pin.path().display()
                ),
            );
            debian(pin)
        }
        Base::Auto => {
            if let Some(p) = cached(&vanilla_id(pin)?) {
                return Ok(p);
            }
            let marker = cache::dir().join("downloads/vanilla.unavailable");
            let recent = marker
                .metadata()
                .and_then(|m| m.modified())
                .map(|t| {
                    t.elapsed()
                        .map(|e| e.as_secs() < 24 * 3600)
                        .unwrap_or(false)
                })
                .unwrap_or(false);
            let why = if recent {
                format!(
                    "vanilla source was unobtainable at the last try ({}; delete it to retry now)",
                    marker.display()
                )
            } else {
                match vanilla(pin) {
                    Ok(p) => return Ok(p),
                    Err(e) => {
                        let _ = write_atomic(&marker, format!("{e}\n").as_bytes());
                        format!("vanilla source unobtainable: {e}")
                    }
                }
            };
            say(
                "fetch",
                "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
            );
            say("fetch", format!("!!! --base auto: {why}"));
            say(
                "fetch",
                "!!! FALLING BACK to --base debian (Debian's patched tree, linux-source)",
            );
            say(
                "fetch",
                "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
            );
            debian(pin)
        }
    }
}

pub fn vanilla(pin: &Pin) -> Result<Pristine> {
    let id = vanilla_id(pin)?;
    if let Some(p) = cached(&id) {
        return Ok(p);
    }
    let tarball = fetch_vanilla(pin)?;
    unpack(&tarball, &id)
}

/// Download (or reuse) the verified vanilla orig tarball.
pub fn fetch_vanilla(pin: &Pin) -> Result<PathBuf> {
    host_deps::ensure(&[host_deps::FETCH])?;
    let downloads = cache::dir().join("downloads");
    std::fs::create_dir_all(&downloads)?;
    let name = pin.get("vanilla.tarball")?;
    let expected = pin.get("vanilla.sha256")?;
    let dest = downloads.join(name);
    if dest.exists() {
        verify_sha256(&dest, expected, "vanilla tarball")?;
        return Ok(dest);
    }
    let step = Step::start(
        "fetch",
        format!(
            "vanilla: apt-get source --download-only {}",
            pin.get("vanilla.source-package")?
        ),
    );
    let tmp = cache::dir().join("apt-src");
    remove_dir_all_if_exists(&tmp)?;
    for d in [
        "lists/partial",
        "cache/archives/partial",
        "sources.list.d",
        "dl",
    ] {
        std::fs::create_dir_all(tmp.join(d))?;
    }
    write_deb_src(&tmp)?;
    let opts: Vec<String> = vec![
        "-o".into(),
        format!(
            "Dir::Etc::SourceList={}",
            tmp.join("sources.list").display()
        ),
        "-o".into(),
        format!(
            "Dir::Etc::SourceParts={}",
            tmp.join("sources.list.d").display()
        ),
        "-o".into(),
        format!("Dir::State::Lists={}", tmp.join("lists").display()),
        "-o".into(),
        format!("Dir::Cache={}", tmp.join("cache").display()),
        "-o".into(),
        "Debug::NoLocking=1".into(),
        "-o".into(),
        "APT::Sandbox::User=root".into(),
    ];
    let out = Command::new("apt-get")
        .args(&opts)
        .args(["-q", "update"])
        .output()?;
    let log =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let has_sources = std::fs::read_dir(tmp.join("lists"))?
        .flatten()
        .any(|e| e.file_name().to_string_lossy().contains("Sources"));
    if !out.status.success() || !has_sources {
        bail!(
            "apt-get update with deb-src entries found no source index:\n{}",
            tail(&log, 12)
        );
    }
    let spec = format!(
        "{}={}",
        pin.get("vanilla.source-package")?,
        pin.get("vanilla.source-version")?
    );
    let out = Command::new("apt-get")
        .args(&opts)
        .args(["-q", "source", "--download-only", &spec])
        .current_dir(tmp.join("dl"))
        .output()?;
    let log =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let got = tmp.join("dl").join(name);
    if !out.status.success() || !got.exists() {
        bail!("apt-get source {spec} failed:\n{}", tail(&log, 12));
    }
    verify_sha256(&got, expected, "vanilla tarball")?;
    std::fs::rename(&got, &dest)?;
    let _ = remove_dir_all_if_exists(&tmp);
    step.done(format!("{} verified", dest.display()));
    Ok(dest)
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| format!("    {l}\n"))
        .collect()
}

/// Derive deb-src entries from the configured deb entries (one-line and
/// deb822 formats).
fn write_deb_src(tmp: &Path) -> Result<()> {
    let mut one_line = String::new();
    let mut files: Vec<PathBuf> = vec![PathBuf::from("/etc/apt/sources.list")];
    if let Ok(rd) = std::fs::read_dir("/etc/apt/sources.list.d") {
        let mut v: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        v.sort();
        files.extend(v);
    }
    let mut n = 0;
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let name = f
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        if name.ends_with(".sources") {
            let converted: String = text
                .lines()
                .map(|l| {
                    let t = l.trim_start();
                    if t.to_ascii_lowercase().starts_with("types:") {
                        "Types: deb-src\n".to_string()
                    } else {
                        format!("{l}\n")
                    }
                })
                .collect();
            n += 1;
            std::fs::write(
                tmp.join("sources.list.d").join(format!("{n}-{name}")),
                converted,
            )?;
        } else if name.ends_with(".list") {
            for l in text.lines() {
                let t = l.trim_start();
                if let Some(rest) = t.strip_prefix("deb ") {
                    one_line.push_str(&format!("deb-src {rest}\n"));
                }
            }
        }
    }
    std::fs::write(tmp.join("sources.list"), one_line)?;
    Ok(())
}

pub fn debian(pin: &Pin) -> Result<Pristine> {
    let id = debian_id(pin)?;
    if let Some(p) = cached(&id) {
        return Ok(p);
    }
    let tarball = fetch_debian(pin)?;
    unpack(&tarball, &id)
}

/// Download linux-source-X (.deb), verify it, extract and verify the tarball inside.
pub fn fetch_debian(pin: &Pin) -> Result<PathBuf> {
    host_deps::ensure(&[host_deps::FETCH])?;
    let downloads = cache::dir().join("downloads");
    std::fs::create_dir_all(&downloads)?;
    let package = pin.get("debian.package")?;
    let version = pin.get("debian.version")?;
    let inner = pin.get("debian.tarball")?;
    let tar_sum = pin.get("debian.tarball-sha256")?;
    let dest = downloads.join(format!("{package}_{}.tar.xz", sanitize(version)));
    if dest.exists() {
        verify_sha256(&dest, tar_sum, "debian source tarball")?;
        return Ok(dest);
    }
    let step = Step::start(
        "fetch",
        format!("debian: apt-get download {package}={version}"),
    );
    let tmp = downloads.join("deb-tmp");
    remove_dir_all_if_exists(&tmp)?;
    std::fs::create_dir_all(&tmp)?;
    let spec = format!("{package}={version}");
    // A line pinned to another suite of the same registry (a backports
    // suite) reaches it through a temporary sources list.
    let suite_opts = match pin.has("debian.suite") {
        true => Some(suite_apt(&tmp.join("apt"), pin.get("debian.suite")?)?),
        false => None,
    };
    let download = || {
        Command::new("apt-get")
            .args(suite_opts.iter().flatten())
            .args(["-q", "download", &spec])
            .current_dir(&tmp)
            .output()
    };
    let mut out = download()?;
    if !out.status.success() {
        if let Some(opts) = &suite_opts {
            bail!(
                "apt-get download {spec} failed{}",
                repin_hint(opts, package, version, pin)
            );
        }
    }
    if !out.status.success() && is_root() {
        say(
            "fetch",
            "apt-get download failed; refreshing the package lists and retrying",
        );
        host_deps::apt_update_once()?;
        out = download()?;
    }
    if !out.status.success() {
        bail!(
            "apt-get download {spec} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let deb = downloaded_deb(&tmp)?;
    verify_sha256(&deb, pin.get("debian.deb-sha256")?, "linux-source .deb")?;
    let x = tmp.join("x");
    let sh = xshell::Shell::new()?;
    xshell::cmd!(sh, "dpkg-deb -x {deb} {x}").quiet().run()?;
    let got = x.join(inner);
    if !got.exists() {
        bail!("{} has no {inner}", deb.display());
    }
    verify_sha256(&got, tar_sum, "debian source tarball")?;
    std::fs::rename(&got, &dest)?;
    remove_dir_all_if_exists(&tmp)?;
    step.done(format!("{} verified", dest.display()));
    Ok(dest)
}

/// apt options for a temporary sources list that names `suite` on the
/// registry this machine's apt already uses: the first configured `deb`
/// entry of the main archive (its suite a bare codename, e.g. `bookworm`),
/// with that suite replaced. Runs `apt-get update` on it. No host is
/// written in the repository.
pub fn suite_apt(dir: &Path, suite: &str) -> Result<Vec<String>> {
    remove_dir_all_if_exists(dir)?;
    for d in ["lists/partial", "cache/archives/partial", "sources.list.d"] {
        std::fs::create_dir_all(dir.join(d))?;
    }
    let uri = main_archive_uri()?;
    std::fs::write(
        dir.join("sources.list"),
        format!("deb {uri} {suite} main\n"),
    )?;
    let opts: Vec<String> = [
        format!(
            "Dir::Etc::SourceList={}",
            dir.join("sources.list").display()
        ),
        format!(
            "Dir::Etc::SourceParts={}",
            dir.join("sources.list.d").display()
        ),
        format!("Dir::State::Lists={}", dir.join("lists").display()),
        format!("Dir::Cache={}", dir.join("cache").display()),
        "Debug::NoLocking=1".into(),
        "APT::Sandbox::User=root".into(),
    ]
    .into_iter()
    .flat_map(|o| ["-o".to_string(), o])
    .collect();
    let out = Command::new("apt-get")
        .args(&opts)
        .args(["-q", "update"])
        .output()?;
    if !out.status.success() {
        bail!(
            "apt-get update for suite {suite} failed:\n{}",
            tail(
                &(String::from_utf8_lossy(&out.stdout).to_string()
                    + &String::from_utf8_lossy(&out.stderr)),
                12
            )
        );
    }
    Ok(opts)
}

/// The URI of the main Debian archive in this machine's apt sources
/// (one-line or deb822 format).
fn main_archive_uri() -> Result<String> {
    let mut files: Vec<PathBuf> = vec![PathBuf::from("/etc/apt/sources.list")];
    if let Ok(rd) = std::fs::read_dir("/etc/apt/sources.list.d") {
        let mut v: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        v.sort();
        files.extend(v);
    }
    let bare = |suite: &str| !suite.is_empty() && suite.chars().all(|c| c.is_ascii_lowercase());
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        if f.extension().is_some_and(|e| e == "sources") {
            // deb822: URIs: and Suites: fields of one stanza.
            for stanza in text.split("\n\n") {
                let field = |name: &str| {
                    stanza.lines().find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.trim()
                            .eq_ignore_ascii_case(name)
                            .then(|| v.trim().to_string())
                    })
                };
                if let (Some(uris), Some(suites)) = (field("URIs"), field("Suites")) {
                    if suites.split_whitespace().any(bare) {
                        if let Some(u) = uris.split_whitespace().next() {
                            return Ok(u.to_string());
                        }
                    }
                }
            }
        } else {
            for l in text.lines() {
                let mut w = l.split_whitespace();
                if w.next() != Some("deb") {
                    continue;
                }
                let mut rest: Vec<&str> = w.collect();
                if rest.first().is_some_and(|o| o.starts_with('[')) {
                    while !rest.is_empty() && !rest[0].ends_with(']') {
                        rest.remove(0);
                    }
                    if !rest.is_empty() {
                        rest.remove(0);
                    }
                }
                if let [uri, suite, ..] = rest.as_slice() {
                    if bare(suite) {
                        return Ok(uri.to_string());
                    }
                }
            }
        }
    }
    bail!("no main Debian archive entry (a `deb URI codename ...` line) in /etc/apt/sources.list*")
}

/// The versions of `package` the suite offers now (`apt-cache madison`).
pub fn suite_versions(opts: &[String], package: &str) -> Vec<String> {
    Command::new("apt-cache")
        .args(opts)
        .args(["madison", package])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter_map(|l| l.split('|').nth(1).map(|v| v.trim().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// Why a pinned version is gone, and the change that fixes it: Debian
/// keeps only the newest version in a suite.
fn repin_hint(opts: &[String], package: &str, version: &str, pin: &Pin) -> String {
    match suite_versions(opts, package).first() {
        Some(now) if now != version => format!(
            ": the suite now has {package} {now}, not the pinned {version} (a suite keeps only \
             its newest version).\n  Run `cargo xtask repin --kernel {}` to verify it and \
             update {} (the one-line change: debian.version = {now}, with its hashes).",
            crate::kernel::line::current().name(),
            pin.path().display()
        ),
        Some(_) => String::new(),
        None => format!(": the suite offers no {package} at all"),
    }
}

/// The `.deb` that `apt-get download` left in `dir`.
pub fn downloaded_deb(dir: &Path) -> Result<PathBuf> {
    std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "deb"))
        .ok_or_else(|| anyhow::anyhow!("apt-get download produced no .deb"))
}

/// Unpack into `src/<id>.partial`, move into place, then write `src/<id>.ok`.
/// A tree without its .ok stamp (interrupted unpack) is deleted and redone.
pub fn unpack(tarball: &Path, id: &str) -> Result<Pristine> {
    host_deps::ensure(&[host_deps::FETCH])?;
    let base = cache::dir().join("src");
    let final_dir = base.join(id);
    let partial = base.join(format!("{id}.partial"));
    let ok = base.join(format!("{id}.ok"));
    let _ = std::fs::remove_file(&ok);
    remove_dir_all_if_exists(&final_dir)?;
    remove_dir_all_if_exists(&partial)?;
    std::fs::create_dir_all(&partial)?;
    let step = Step::start(
        "fetch",
        format!("unpacking {} -> {}", tarball.display(), final_dir.display()),
    );
    let sh = xshell::Shell::new()?;
    xshell::cmd!(sh, "tar -xf {tarball} -C {partial}")
        .quiet()
        .run()?;
    let entries: Vec<PathBuf> = std::fs::read_dir(&partial)?
        .flatten()
        .map(|e| e.path())
        .collect();
    let top = match entries.as_slice() {
        [one] if one.is_dir() => one.clone(),
        _ => partial.clone(),
    };
    if !top.join("Makefile").exists() {
        bail!("{} does not contain a kernel tree", tarball.display());
    }
    std::fs::rename(&top, &final_dir)?;
    remove_dir_all_if_exists(&partial)?;
    write_atomic(&ok, tarball.display().to_string().as_bytes())?;
    step.done("pristine tree ready");
    Ok(Pristine {
        id: id.to_string(),
        tree: final_dir,
    })
}
