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

/// Builds the patched kernel of `opts`, or finds it built: pin -> fetch ->
/// tree -> config -> build, each stage a no-op when its stamp matches.
pub fn ensure(opts: &KernelOpts) -> Result<Kernel> {
    let t0 = std::time::Instant::now();
    host_deps::ensure(&[host_deps::FETCH, host_deps::PATCH, host_deps::KERNEL])?;
    let plan = Plan::new(opts)?;
    let prebuilt = prebuilt();
    if prebuilt.is_none() && plan.is_built() {
        say(
            "kernel",
            format!(
                "cached {} (base {}, {}, series {}) ({:.1}s)",
                plan.bzimage().display(),
                plan.pristine.id,
                plan.flavor,
                plan.series.short(),
                t0.elapsed().as_secs_f64()
            ),
        );
        return Ok(plan.kernel(plan.bzimage(), plan.work().join("src")));
    }
    let src = tree::patched(&plan.pristine, &plan.series)?;
    std::fs::create_dir_all(&plan.build_dir)?;
    std::fs::write(&plan.log, "")?;
    say(
        "config",
        format!(
            "build dir {} (log: {})",
            plan.build_dir.display(),
            plan.log.display()
        ),
    );
    config::configure(&src, &plan.build_dir, &plan.frags, &plan.key, &plan.log)?;
    match prebuilt {
        Some(pre) => plan.headers_only(src, pre),
        None => {
            let k = plan.build(src, opts.jobs)?;
            say(
                "kernel",
                format!(
                    "{} ready ({})",
                    k.bzimage.display(),
                    crate::util::fmt_dur(t0.elapsed().as_secs_f64())
                ),
            );
            Ok(k)
        }
    }
}

/// One kernel build worked out: its inputs read once, its key and places.
struct Plan {
    pristine: fetch::Pristine,
    series: Series,
    flavor: &'static str,
    frags: config::Fragments,
    /// base, flavour, fragments, compiler and series: what the bzImage stamp holds
    key: String,
    build_dir: PathBuf,
    log: PathBuf,
}

impl Plan {
    fn new(opts: &KernelOpts) -> Result<Plan> {
        let pin = Pin::load()?;
        let series = Series::load()?;
        let frags = opts.flavor.fragments()?;
        let cfg_hash = frags.hash()?;
        let cc = compiler_version()?;
        let cc_hash = sha256_bytes(cc.as_bytes())?;
        let pristine = fetch::pristine(&pin, &opts.source)?;
        let flavor = opts.flavor.name();
        let build = cache::dir().join("build");
        let build_dir = build.join(format!(
            "{}-{flavor}-{}-{}",
            pristine.id,
            &cfg_hash[..12],
            &cc_hash[..12]
        ));
        let log = build.join(format!("{}-{flavor}.log", pristine.id));
        let key = format!(
            "base={}\nflavor={flavor}\nfragments={cfg_hash}\ncc={cc}\nseries={}\n",
            pristine.id, series.hash
        );
        Ok(Plan {
            pristine,
            series,
            flavor,
            frags,
            key,
            build_dir,
            log,
        })
    }

    fn bzimage(&self) -> PathBuf {
        self.build_dir.join("arch/x86/boot/bzImage")
    }

    fn bz_stamp(&self) -> PathBuf {
        self.build_dir.join(".pn-bzimage.stamp")
    }

    /// `work/<base>`: the patched tree and its state.
    fn work(&self) -> PathBuf {
        cache::dir().join("work").join(&self.pristine.id)
    }

    /// The patched tree holds this series and the bzImage this key.
    fn is_built(&self) -> bool {
        let tree_ok = read_opt(&self.work().join("state"))
            .is_some_and(|s| s.trim() == format!("clean {}", self.series.hash));
        tree_ok
            && self.bzimage().exists()
            && read_opt(&self.bz_stamp()).as_deref() == Some(self.key.as_str())
    }

    fn kernel(&self, bzimage: PathBuf, src: PathBuf) -> Kernel {
        Kernel {
            bzimage,
            src,
            build: self.build_dir.clone(),
            series: self.series.clone(),
        }
    }

    /// PRCTL_NETWORK_BZIMAGE: only the headers (for the kselftests).
    fn headers_only(&self, src: PathBuf, pre: PathBuf) -> Result<Kernel> {
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
        let hstamp = self.build_dir.join(".pn-headers.stamp");
        if read_opt(&hstamp).as_deref() != Some(self.key.as_str()) {
            let step = Step::start("build", "make headers");
            run_logged(
                make::make(&src, &self.build_dir).arg("headers"),
                &self.log,
                "make headers",
            )?;
            write_atomic(&hstamp, self.key.as_bytes())?;
            step.done(self.build_dir.join("usr/include").display().to_string());
        }
        Ok(self.kernel(pre, src))
    }

    /// make bzImage + headers, then the stamp.
    fn build(&self, src: PathBuf, jobs: usize) -> Result<Kernel> {
        let _ = std::fs::remove_file(self.bz_stamp());
        build::build(&src, &self.build_dir, jobs, &self.log)?;
        let bz = self.bzimage();
        if !bz.exists() {
            anyhow::bail!("make succeeded but {} is missing", bz.display());
        }
        write_atomic(&self.bz_stamp(), self.key.as_bytes())?;
        Ok(self.kernel(bz, src))
    }
}
