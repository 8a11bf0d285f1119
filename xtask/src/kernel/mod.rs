//! `cargo xtask kernel`: deps -> pristine tree -> patched tree -> config ->
//! bzImage + headers, with a fast path when the full key matches.
//!
//! Cache key of a finished kernel: base id, hash of the config fragment(s),
//! the compiler (`gcc --version` first line), and the series hash. The
//! build dir is keyed by all of these but the series, so a change to the
//! patches only re-patches the kept tree and rebuilds incrementally.

pub mod build;
pub mod config;
pub mod cover_letter;
pub mod fetch;
pub mod line;
pub mod make;
pub mod pin;
pub mod tree;

use crate::cache;
use crate::host_deps;
use crate::kernel::pin::Pin;
use crate::util::{read_opt, say, sha256_bytes, write_atomic, Result, Step};
use fetch::SourceOpts;
use make::run_logged;
use std::path::PathBuf;
use tree::Series;

#[derive(Clone, Debug)]
pub struct KernelOpts {
    pub source: SourceOpts,
    pub flavor: config::Flavor,
    pub jobs: usize,
}

pub struct Kernel {
    pub bzimage: PathBuf,
    /// the patched source tree (kselftest sources)
    pub src: PathBuf,
    /// the O= build dir (usr/include for the kselftests)
    pub build: PathBuf,
    pub series: Series,
}

pub fn compiler_version() -> Result<String> {
    let sh = xshell::Shell::new()?;
    let out = xshell::cmd!(sh, "gcc --version").quiet().read()?;
    Ok(out.lines().next().unwrap_or("unknown").to_string())
}

/// PRCTL_NETWORK_BZIMAGE: use a prebuilt kernel instead of building one
/// (the tree, config and headers are still prepared for the kselftests).
pub fn prebuilt() -> Option<PathBuf> {
    std::env::var_os("PRCTL_NETWORK_BZIMAGE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

pub fn ensure(opts: &KernelOpts) -> Result<Kernel> {
    let t0 = std::time::Instant::now();
    host_deps::ensure(&[host_deps::FETCH, host_deps::PATCH, host_deps::KERNEL])?;
    let pin = Pin::load()?;
    let series = Series::load()?;
    let frags = opts.flavor.fragments();
    let cfg_hash = sha256_bytes(config::fragments_text(&frags)?.as_bytes())?;
    let cc = compiler_version()?;
    let cc_hash = sha256_bytes(cc.as_bytes())?;
    let pristine = fetch::pristine(&pin, &opts.source)?;
    let flavor = opts.flavor.name();
    let build_dir = cache::dir().join("build").join(format!(
        "{}-{flavor}-{}-{}",
        pristine.id,
        &cfg_hash[..12],
        &cc_hash[..12]
    ));
    let log = cache::dir()
        .join("build")
        .join(format!("{}-{flavor}.log", pristine.id));
    let key = format!(
        "base={}\nflavor={flavor}\nfragments={cfg_hash}\ncc={cc}\nseries={}\n",
        pristine.id, series.hash
    );
    let bz = build_dir.join("arch/x86/boot/bzImage");
    let bz_stamp = build_dir.join(".pn-bzimage.stamp");
    let work_state = cache::dir().join("work").join(&pristine.id).join("state");
    let src_path = cache::dir().join("work").join(&pristine.id).join("src");
    let tree_ok = read_opt(&work_state)
        .map(|s| s.trim() == format!("clean {}", series.hash))
        .unwrap_or(false);
    let prebuilt = prebuilt();

    if prebuilt.is_none()
        && tree_ok
        && bz.exists()
        && read_opt(&bz_stamp).as_deref() == Some(key.as_str())
    {
        say(
            "kernel",
            format!(
                "cached {} (base {}, {flavor}, series {}) ({:.1}s)",
                bz.display(),
                pristine.id,
                series.short(),
                t0.elapsed().as_secs_f64()
            ),
        );
        return Ok(Kernel {
            bzimage: bz,
            src: src_path,
            build: build_dir,
            series,
        });
    }

    let src = tree::patched(&pristine, &series)?;
    std::fs::create_dir_all(&build_dir)?;
    std::fs::write(&log, "")?;
    say(
        "config",
        format!("build dir {} (log: {})", build_dir.display(), log.display()),
    );
    config::configure(&src, &build_dir, &frags, &key, &log)?;

    if let Some(pre) = prebuilt {
        say(
            "build",
            format!(
                "PRCTL_NETWORK_BZIMAGE: using the prebuilt kernel {}",
                pre.display()
            ),
        );
        if !pre.exists() {
            anyhow::bail!("PRCTL_NETWORK_BZIMAGE={} does not exist", pre.display());
        }
        let hstamp = build_dir.join(".pn-headers.stamp");
        if read_opt(&hstamp).as_deref() != Some(key.as_str()) {
            let step = Step::start("build", "make headers");
            run_logged(
                make::make(&src, &build_dir).arg("headers"),
                &log,
                "make headers",
            )?;
            write_atomic(&hstamp, key.as_bytes())?;
            step.done(build_dir.join("usr/include").display().to_string());
        }
        return Ok(Kernel {
            bzimage: pre,
            src,
            build: build_dir,
            series,
        });
    }

    let _ = std::fs::remove_file(&bz_stamp);
    build::build(&src, &build_dir, opts.jobs, &log)?;
    if !bz.exists() {
        anyhow::bail!("make succeeded but {} is missing", bz.display());
    }
    write_atomic(&bz_stamp, key.as_bytes())?;
    say(
        "kernel",
        format!(
            "{} ready ({})",
            bz.display(),
            crate::util::fmt_dur(t0.elapsed().as_secs_f64())
        ),
    );
    Ok(Kernel {
        bzimage: bz,
        src,
        build: build_dir,
        series,
    })
}
