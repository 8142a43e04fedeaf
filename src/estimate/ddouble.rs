//! Double-double complex numbers (about 32 significant digits, Dekker/Knuth error-free sums and
//! FMA products): the fallback number type of [`super::state`] when double precision cannot
//! resolve an output error.

use num_complex::Complex64;
use std::ops::{Add, Mul, Sub};

/// A real number hi + lo with |lo| ≤ ulp(hi)/2.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Dd {
    hi: f64,
    lo: f64,
}

fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

fn quick_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    (s, b - (s - a))
}

impl Dd {
    pub fn new(x: f64) -> Self {
        Dd { hi: x, lo: 0.0 }
    }

    pub fn to_f64(self) -> f64 {
        self.hi + self.lo
    }

    fn neg(self) -> Self {
        Dd {
            hi: -self.hi,
            lo: -self.lo,
        }
    }
}

/// a + b to double-double accuracy.
fn sum(a: Dd, b: Dd) -> Dd {
    let (s, e) = two_sum(a.hi, b.hi);
    let (t, f) = two_sum(a.lo, b.lo);
    let (s, e) = quick_two_sum(s, e + t);
    let (hi, lo) = quick_two_sum(s, e + f);
    Dd { hi, lo }
}

impl Add for Dd {
    type Output = Dd;
    fn add(self, b: Dd) -> Dd {
        sum(self, b)
    }
}

impl Sub for Dd {
    type Output = Dd;
    fn sub(self, b: Dd) -> Dd {
        sum(self, b.neg())
    }
}

impl Mul for Dd {
    type Output = Dd;
    fn mul(self, b: Dd) -> Dd {
        let p = self.hi * b.hi;
        let e = self.hi.mul_add(b.hi, -p) + (self.hi * b.lo + self.lo * b.hi);
        let (hi, lo) = quick_two_sum(p, e);
        Dd { hi, lo }
    }
}

/// A complex double-double.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Cdd {
    pub re: Dd,
    pub im: Dd,
}

impl Add for Cdd {
    type Output = Cdd;
    fn add(self, b: Cdd) -> Cdd {
        Cdd {
            re: self.re + b.re,
            im: self.im + b.im,
        }
    }
}

impl Sub for Cdd {
    type Output = Cdd;
    fn sub(self, b: Cdd) -> Cdd {
        Cdd {
            re: self.re - b.re,
            im: self.im - b.im,
        }
    }
}

impl Mul for Cdd {
    type Output = Cdd;
    fn mul(self, b: Cdd) -> Cdd {
        Cdd {
            re: self.re * b.re - self.im * b.im,
            im: self.re * b.im + self.im * b.re,
        }
    }
}

/// The arithmetic [`super::state::NoisyState`] needs from its amplitudes.
pub trait Amp: Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> {
    fn from_c64(c: Complex64) -> Self;
    fn conj(self) -> Self;
    /// The real part, rounded to f64.
    fn real(self) -> f64;
    fn scale(self, x: f64) -> Self {
        self * Self::from_c64(Complex64::new(x, 0.0))
    }
}

impl Amp for Complex64 {
    fn from_c64(c: Complex64) -> Self {
        c
    }
    fn conj(self) -> Self {
        Complex64::conj(&self)
    }
    fn real(self) -> f64 {
        self.re
    }
    fn scale(self, x: f64) -> Self {
        self * x
    }
}

impl Amp for Cdd {
    fn from_c64(c: Complex64) -> Self {
        Cdd {
            re: Dd::new(c.re),
            im: Dd::new(c.im),
        }
    }
    fn conj(self) -> Self {
        Cdd {
            re: self.re,
            im: self.im.neg(),
        }
    }
    fn real(self) -> f64 {
        self.re.to_f64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_digits_that_f64_loses() {
        let one = Dd::new(1.0);
        let tiny = Dd::new(1e-20);
        assert_eq!(((one + tiny) - one).to_f64(), 1e-20);
        // The product of two doubles is exact in double-double.
        let third = 1.0f64 / 3.0;
        let x = Dd::new(third) * Dd::new(3.0) - one;
        assert_eq!(x.to_f64(), third.mul_add(3.0, -1.0));
        let i = Cdd::from_c64(Complex64::new(0.0, 1.0));
        assert_eq!((i * i).real(), -1.0);
    }
}
