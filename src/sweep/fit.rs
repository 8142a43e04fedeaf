//! Binomial rate estimates with likelihood-ratio confidence intervals, as sinter reports them:
//! the interval holds every rate whose likelihood is within a factor (sinter's default: 1000)
//! of the maximum-likelihood rate.

/// A rate estimate `best` with the interval `[low, high]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateFit {
    pub low: f64,
    pub best: f64,
    pub high: f64,
}

/// Log-likelihood of rate p for `hits` out of `trials` (0 ln 0 taken as 0).
fn log_likelihood(hits: u64, trials: u64, p: f64) -> f64 {
    let (k, n) = (hits as f64, trials as f64);
    let term = |count: f64, prob: f64| if count == 0.0 { 0.0 } else { count * prob.ln() };
    term(k, p) + term(n - k, 1.0 - p)
}

/// Fits a binomial rate: maximum likelihood `hits / trials`, and the rates whose likelihood is at
/// least `1 / factor` of the maximum (bisection on each side, to 1e-12 relative).
pub fn fit_binomial(hits: u64, trials: u64, factor: f64) -> RateFit {
    if trials == 0 {
        return RateFit {
            low: 0.0,
            best: 0.0,
            high: 1.0,
        };
    }
    let best = hits as f64 / trials as f64;
    let target = log_likelihood(hits, trials, best) - factor.ln();
    let inside = |p: f64| log_likelihood(hits, trials, p) >= target;
    let edge = |mut inner: f64, mut outer: f64| {
        for _ in 0..200 {
            let mid = 0.5 * (inner + outer);
            if inside(mid) {
                inner = mid;
            } else {
                outer = mid;
            }
            if (outer - inner).abs() <= 1e-12 * inner.abs().max(1e-300) {
                break;
            }
        }
        inner
    };
    let low = if hits == 0 || inside(0.0) {
        0.0
    } else {
        edge(best, 0.0)
    };
    let high = if hits == trials || inside(1.0) {
        1.0
    } else {
        edge(best, 1.0)
    };
    RateFit { low, best, high }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_brackets_the_estimate() {
        let f = fit_binomial(50, 10_000, 1000.0);
        assert_eq!(f.best, 0.005);
        assert!(f.low < 0.005 && f.high > 0.005);
        // ln 1000 = 6.9 => roughly best +- 3.7 sigma (sigma ~ 7e-4).
        assert!(f.low > 0.0015 && f.low < 0.0035, "{f:?}");
        assert!(f.high > 0.0065 && f.high < 0.0085, "{f:?}");
    }

    #[test]
    fn zero_hits_give_a_one_sided_interval() {
        let f = fit_binomial(0, 1000, 1000.0);
        assert_eq!((f.low, f.best), (0.0, 0.0));
        // (1 - p)^1000 = 1/1000 at p ~ ln(1000)/1000.
        assert!((f.high - 0.0069).abs() < 3e-4, "{f:?}");
    }
}
