//! Min, median and max of a cell's samples; the growth exponent of a cost.

#[derive(Clone, Copy, Debug)]
pub(super) struct Stats {
    pub(super) n: usize,
    pub(super) min: f64,
    pub(super) med: f64,
    pub(super) max: f64,
}

pub(super) fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

pub(super) fn stats(mut t: Vec<f64>) -> Option<Stats> {
    if t.is_empty() {
        return None;
    }
    let min = t.iter().copied().fold(f64::INFINITY, f64::min);
    let max = t.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some(Stats {
        n: t.len(),
        min,
        med: median(&mut t),
        max,
    })
}

/// Least-squares slope of ln y over ln x: the exponent k of y ~ x^k.
pub(super) fn growth_exponent(points: &[(f64, f64)]) -> Option<f64> {
    let p: Vec<(f64, f64)> = points
        .iter()
        .filter(|(x, y)| *x > 0.0 && *y > 0.0)
        .map(|(x, y)| (x.ln(), y.ln()))
        .collect();
    if p.len() < 2 {
        return None;
    }
    let n = p.len() as f64;
    let (mx, my) = (
        p.iter().map(|q| q.0).sum::<f64>() / n,
        p.iter().map(|q| q.1).sum::<f64>() / n,
    );
    let sxx: f64 = p.iter().map(|q| (q.0 - mx).powi(2)).sum();
    let sxy: f64 = p.iter().map(|q| (q.0 - mx) * (q.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}
