//! The boots of a run, in order: the A/B pairs, T1, the SA/SB pairs.

use super::BenchOpts;
use crate::kernel::config::Flavor;
use crate::util::Result;

/// The `lsm=` lists of the stacked boots: the distro flavour's AppArmor
/// order without prctl_network (SA) and as it is (SB).
pub(super) fn stacked_lsm() -> Result<(String, String)> {
    let with = Flavor::Distro
        .lsm_boots()
        .into_iter()
        .flatten()
        .find(|(label, _)| *label == "apparmor")
        .map(|(_, lsm)| lsm.to_string())
        .ok_or_else(|| anyhow::anyhow!("the distro flavour has no AppArmor boot"))?;
    let without = with
        .split(',')
        .filter(|m| *m != "prctl_network")
        .collect::<Vec<_>>()
        .join(",");
    Ok((without, with))
}

/// A boot to make: label, kernel (index into the bzImages), extra kernel
/// command line, guest arguments.
pub(super) struct Plan {
    pub(super) label: String,
    pub(super) kernel: usize,
    pub(super) lsm: Option<String>,
    pub(super) guest: String,
}

pub(super) fn plan(opts: &BenchOpts, stacked: Option<&(String, String)>) -> Vec<Plan> {
    let ops = format!("--rounds {} --iters {}", opts.rounds, opts.iters);
    let mut v = Vec::new();
    for pair in 1..=opts.pairs {
        v.push(Plan {
            label: format!("A{pair}"),
            kernel: 0,
            lsm: Some("landlock,yama".into()),
            guest: ops.clone(),
        });
        v.push(Plan {
            label: format!("B{pair}"),
            kernel: 0,
            lsm: None,
            guest: ops.clone(),
        });
    }
    if opts.tsync_rounds > 0 {
        v.push(Plan {
            label: "T1".into(),
            kernel: 0,
            lsm: None,
            guest: format!(
                "--rounds 0 --iters 1 --tsync-rounds {} --tsync-sets {}",
                opts.tsync_rounds, opts.tsync_sets
            ),
        });
    }
    if let Some((without, with)) = stacked {
        for pair in 1..=opts.stacked_pairs {
            v.push(Plan {
                label: format!("SA{pair}"),
                kernel: 1,
                lsm: Some(without.clone()),
                guest: format!("{ops} --states a,d"),
            });
            v.push(Plan {
                label: format!("SB{pair}"),
                kernel: 1,
                lsm: Some(with.clone()),
                guest: format!("{ops} --states b,c,d"),
            });
        }
    }
    v
}
