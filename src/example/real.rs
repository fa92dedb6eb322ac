//! The numbers a compiled [`crate::example::expr::Program`] evaluates on: `f64`, and dual numbers `v + d ε`
//! (ε² = 0), which carry exact derivatives through the same program (forward-mode automatic differentiation).

/// The numbers a program evaluates on: `f64`, and dual numbers for derivatives.
pub trait Real:
    Copy
    + From<f64>
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Neg<Output = Self>
{
    fn value(self) -> f64;
    fn pow(self, other: Self) -> Self;
    fn atan2(self, other: Self) -> Self;
    /// One of the one-argument `FUNCTIONS`.
    fn call(self, name: &str) -> Self;
}

impl Real for f64 {
    fn value(self) -> f64 {
        self
    }

    fn pow(self, other: Self) -> Self {
        if other == other.trunc() && other.abs() <= i32::MAX as f64 {
            self.powi(other as i32)
        } else {
            self.powf(other)
        }
    }

    fn atan2(self, other: Self) -> Self {
        f64::atan2(self, other)
    }

    fn call(self, name: &str) -> Self {
        match name {
            "sin" => self.sin(),
            "cos" => self.cos(),
            "tan" => self.tan(),
            "asin" => self.asin(),
            "acos" => self.acos(),
            "atan" => self.atan(),
            "sinh" => self.sinh(),
            "cosh" => self.cosh(),
            "tanh" => self.tanh(),
            "exp" => self.exp(),
            "ln" => self.ln(),
            "log10" => self.log10(),
            "sqrt" => self.sqrt(),
            "abs" => self.abs(),
            "floor" => self.floor(),
            "sign" => {
                if self == 0.0 {
                    0.0
                } else {
                    self.signum()
                }
            }
            _ => f64::NAN,
        }
    }
}

/// A dual number `v + d ε` with ε² = 0: evaluating on it carries the derivative `d` along.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dual {
    pub v: f64,
    pub d: f64,
}

impl From<f64> for Dual {
    fn from(v: f64) -> Self {
        Self { v, d: 0.0 }
    }
}

impl std::ops::Add for Dual {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self {
            v: self.v + o.v,
            d: self.d + o.d,
        }
    }
}

impl std::ops::Sub for Dual {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        Self {
            v: self.v - o.v,
            d: self.d - o.d,
        }
    }
}

impl std::ops::Mul for Dual {
    type Output = Self;
    fn mul(self, o: Self) -> Self {
        Self {
            v: self.v * o.v,
            d: self.d * o.v + self.v * o.d,
        }
    }
}

impl std::ops::Div for Dual {
    type Output = Self;
    fn div(self, o: Self) -> Self {
        Self {
            v: self.v / o.v,
            d: (self.d * o.v - self.v * o.d) / (o.v * o.v),
        }
    }
}

impl std::ops::Neg for Dual {
    type Output = Self;
    fn neg(self) -> Self {
        Self {
            v: -self.v,
            d: -self.d,
        }
    }
}

impl Dual {
    /// The chain rule: `f(v)` with derivative `f'(v) · d`.
    fn chain(self, value: f64, slope: f64) -> Self {
        Self {
            v: value,
            d: slope * self.d,
        }
    }
}

impl Real for Dual {
    fn value(self) -> f64 {
        self.v
    }

    fn pow(self, o: Self) -> Self {
        let v = Real::pow(self.v, o.v);
        // d(a^b) = b a^(b−1) da + a^b ln(a) db; the second term only where b varies.
        let mut d = o.v * Real::pow(self.v, o.v - 1.0) * self.d;
        if o.d != 0.0 {
            d += v * self.v.ln() * o.d;
        }
        Self { v, d }
    }

    fn atan2(self, o: Self) -> Self {
        let r2 = self.v * self.v + o.v * o.v;
        Self {
            v: self.v.atan2(o.v),
            d: (o.v * self.d - self.v * o.d) / r2,
        }
    }

    fn call(self, name: &str) -> Self {
        let v = self.v;
        match name {
            "sin" => self.chain(v.sin(), v.cos()),
            "cos" => self.chain(v.cos(), -v.sin()),
            "tan" => self.chain(v.tan(), 1.0 / (v.cos() * v.cos())),
            "asin" => self.chain(v.asin(), 1.0 / (1.0 - v * v).sqrt()),
            "acos" => self.chain(v.acos(), -1.0 / (1.0 - v * v).sqrt()),
            "atan" => self.chain(v.atan(), 1.0 / (1.0 + v * v)),
            "sinh" => self.chain(v.sinh(), v.cosh()),
            "cosh" => self.chain(v.cosh(), v.sinh()),
            "tanh" => self.chain(v.tanh(), 1.0 - v.tanh() * v.tanh()),
            "exp" => self.chain(v.exp(), v.exp()),
            "ln" => self.chain(v.ln(), 1.0 / v),
            "log10" => self.chain(v.log10(), 1.0 / (v * std::f64::consts::LN_10)),
            "sqrt" => self.chain(v.sqrt(), 0.5 / v.sqrt()),
            "abs" => self.chain(v.abs(), Real::call(v, "sign")),
            other => self.chain(Real::call(v, other), 0.0),
        }
    }
}
