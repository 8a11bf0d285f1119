//! The project's task runner (`cargo xtask <command>`), following the
//! rust-analyzer xtask pattern: plain Rust, commands run through
//! xshell/std::process, no shell scripts that grow logic.
//!
//! The layout follows the pipeline: `flags` (the command line), `kernel/`
//! (pin → fetch → tree → config → build: a patched bzImage), `vm/` (initramfs,
//! QEMU, the console reader), `jobs/` (one file per command that is more
//! than a pipeline stage), and the shared `cache`, `host_deps` and `util`.

mod cache;
mod flags;
mod host_deps;
mod jobs;
mod kernel;
mod util;
mod vm;

use anyhow::Result;
use clap::Parser;
use flags::{Cmd, Xtask};

fn main() {
    let cmd = Xtask::parse().cmd;
    match run(cmd) {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
    }
}

/// Runs one command; `Ok(false)` when it ran and something failed.
fn run(cmd: Cmd) -> Result<bool> {
    match cmd {
        Cmd::Kernel(a) => {
            let opts = a.apply();
            let _lock = cache::lock()?;
            let k = kernel::ensure(&opts)?;
            println!("{}", k.bzimage.display());
            Ok(true)
        }
        Cmd::Initramfs(a) => {
            let opts = a.apply();
            let _lock = cache::lock()?;
            let k = kernel::ensure(&opts)?;
            let i = vm::initramfs::build(&k)?;
            println!("{}", i.path.display());
            Ok(true)
        }
        Cmd::VmTest(a) => jobs::vm_test::run(&a.apply()),
        Cmd::Run(a) => {
            jobs::vm_test::run_interactive(&a.apply())?;
            Ok(true)
        }
        Cmd::Bench(a) => jobs::bench::run(&a.apply()),
        Cmd::CheckSeries(a) => {
            kernel::line::set(a.line.line);
            let tarball = a.kernel_tarball.or_else(|| {
                std::env::var_os("PRCTL_NETWORK_KERNEL_TARBALL")
                    .filter(|v| !v.is_empty())
                    .map(Into::into)
            });
            jobs::check_series::run(a.strict, tarball.as_deref())
        }
        Cmd::Checkpatch(a) => jobs::checkpatch::run(&a.apply()),
        Cmd::BuildBreadth(a) => jobs::breadth::run(&a.source.apply(), a.jobs.get()),
        Cmd::KernelDocs(a) => jobs::docs::run(&a.apply()),
        Cmd::QuiltCheck(a) => {
            kernel::line::set(a.line);
            jobs::quilt::run()
        }
        Cmd::Repin(a) => {
            kernel::line::set(a.line);
            jobs::repin::run(a.check)
        }
        Cmd::PackageCheck(a) => jobs::package_check::run(a.locked),
        Cmd::Ci(a) => jobs::ci::run(&a.apply()),
    }
}
