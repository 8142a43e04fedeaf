//! Litinski's surface-code model (Quantum 3, 205 (2019)): a distance-d patch
//! under circuit-level noise p suffers a logical error with probability
//! p_L(d) = 0.1 (100 p)^((d+1)/2) per code cycle, half of it X-type and half Z-type.

use super::EstimateError;

/// Physical error rates must lie below this (the model's threshold is p = 1%).
pub const MAX_PHYSICAL_ERROR: f64 = 0.01;
/// Largest code distance accepted (far beyond any useful protocol).
pub const MAX_DISTANCE: u32 = 199;

/// Logical error per code cycle of a distance-`d` patch at physical error `p`.
pub fn logical_error_per_cycle(p: f64, d: u32) -> f64 {
    0.1 * (100.0 * p).powf((f64::from(d) + 1.0) / 2.0)
}

/// Accepts physical error rates in (0, [`MAX_PHYSICAL_ERROR`]).
pub fn check_physical(p: f64) -> Result<(), EstimateError> {
    if p > 0.0 && p < MAX_PHYSICAL_ERROR {
        Ok(())
    } else {
        Err(EstimateError::PhysicalError(p))
    }
}

/// Accepts odd distances in 1..=[`MAX_DISTANCE`]; `name` says which one failed.
pub fn check_distance(name: &'static str, d: u32) -> Result<(), EstimateError> {
    if d % 2 == 1 && d <= MAX_DISTANCE {
        Ok(())
    } else {
        Err(EstimateError::Distance { name, d })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logical_error_matches_the_formula() {
        // d = 3 at p = 1e-3: 0.1 * 0.1^2.
        assert!((logical_error_per_cycle(1e-3, 3) - 1e-3).abs() < 1e-15);
        assert!(logical_error_per_cycle(1e-4, 7) < logical_error_per_cycle(1e-4, 5));
    }

    #[test]
    fn rejects_bad_inputs() {
        assert!(check_physical(0.0).is_err());
        assert!(check_physical(0.02).is_err());
        assert!(check_physical(f64::NAN).is_err());
        assert!(check_physical(1e-3).is_ok());
        assert!(check_distance("dX", 4).is_err());
        assert!(check_distance("dX", 0).is_err());
        assert!(check_distance("dX", 7).is_ok());
    }
}
