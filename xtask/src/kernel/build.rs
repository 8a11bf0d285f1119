//! Running make: full output to a log file, a compact progress indicator
//! on the terminal (one updating line on a tty, a line every 30 s otherwise).

use crate::kernel::make::{log_tail, make, run_logged};
use crate::util::{fmt_dur, say, stdout_is_tty, Result, Step};
use anyhow::bail;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// `make -jN bzImage` then `make headers` (for the kselftests' usr/include).
pub fn build(src: &Path, build: &Path, jobs: usize, log: &Path) -> Result<()> {
    let step = Step::start(
        "build",
        format!("make -j{jobs} bzImage (log: {})", log.display()),
    );
    let mut cmd = make(src, build);
    cmd.arg(format!("-j{jobs}")).arg("bzImage");
    make_with_progress(cmd, log)?;
    step.done(format!("{}", build.join("arch/x86/boot/bzImage").display()));
    let step = Step::start("build", "make headers");
    run_logged(make(src, build).arg("headers"), log, "make headers")?;
    step.done(format!("{}", build.join("usr/include").display()));
    Ok(())
}

fn make_with_progress(mut cmd: Command, log: &Path) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?;
    writeln!(f, "\n### {cmd:?}")?;
    let (reader, writer) = std::io::pipe()?;
    let mut child = cmd.stdout(writer.try_clone()?).stderr(writer).spawn()?;
    drop(cmd); // the Command holds copies of the write end: drop them so EOF arrives
    let tty = stdout_is_tty();
    let start = Instant::now();
    let mut last = Instant::now();
    let mut objects = 0u64;
    for line in BufReader::new(reader).lines() {
        let line = line?;
        writeln!(f, "{line}")?;
        let t = line.trim_start();
        if t.starts_with("CC ")
            || t.starts_with("AS ")
            || t.starts_with("LD ")
            || t.starts_with("AR ")
        {
            objects += 1;
        }
        if tty && last.elapsed() > Duration::from_millis(200) {
            print!(
                "\r[build] {objects} objects, {}   ",
                fmt_dur(start.elapsed().as_secs_f64())
            );
            let _ = std::io::stdout().flush();
            last = Instant::now();
        } else if !tty && last.elapsed() > Duration::from_secs(30) {
            say(
                "build",
                format!(
                    "{objects} objects, {}",
                    fmt_dur(start.elapsed().as_secs_f64())
                ),
            );
            last = Instant::now();
        }
    }
    let st = child.wait()?;
    if tty {
        println!(
            "\r[build] {objects} objects, {}   ",
            fmt_dur(start.elapsed().as_secs_f64())
        );
    }
    if !st.success() {
        let errors: Vec<String> = std::fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("error:") || l.contains("Error "))
            .take(20)
            .map(|l| format!("    {l}"))
            .collect();
        bail!(
            "make failed ({st}); errors:\n{}\nlast lines of {}:\n{}",
            errors.join("\n"),
            log.display(),
            log_tail(log, 30)
        );
    }
    Ok(())
}
