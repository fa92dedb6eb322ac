//! What an example computes: the solver its `computation` names and that solver's parameters, one type per
//! solver (each solver in `solvers` implements `Solver` for its own type).

use indexmap::IndexMap;
use serde::Deserialize;

/// A number, or an expression of the parameters (e.g. `2*pi`).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Number(f64),
    Expr(String),
}

/// One variable of a system: its name, initial value and how it changes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    pub name: String,
    pub initial: Scalar,
    /// `ode`: d(name)/dt; `recurrence`: the next value.
    #[serde(alias = "next")]
    pub rate: String,
    /// `ode` with `method: verlet`: whether this is a position or a velocity.
    pub role: Option<Role>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Position,
    Velocity,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OdeMethod {
    Euler,
    Rk4,
    /// Velocity Verlet (kick–drift–kick): symplectic, for positions and velocities of a separable system.
    Verlet,
}

/// The heat solver's time stepping.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeatMethod {
    /// Implicit, unconditionally stable, second order in time.
    #[default]
    CrankNicolson,
    /// Explicit, first order in time, stable only with α·dt/dx² ≤ 1/2.
    Euler,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Trapezoid,
    Simpson,
}

/// What to compute: the solver (the `solver` key) and its parameters.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Computation {
    /// F(x) = ∫ₐˣ f, cumulatively on a grid; expected: the antiderivative.
    Integrate(Integrate),
    /// dy/dt = f(t, y) for a system of named variables.
    Ode(Ode),
    /// u_t = α u_xx on [0, length] with u = 0 at both ends (Crank–Nicolson or explicit Euler); expected: the
    /// Fourier series.
    Heat(Heat),
    /// ∇²u = f on the unit square with u = g on its boundary (successive over-relaxation).
    Poisson(Poisson),
    /// u_tt = c² u_xx on [0, length], fixed ends (leapfrog finite differences).
    Wave(Wave),
    /// dX = a(t, X) dt + b(t, X) dW (Euler–Maruyama), many paths from one seed.
    Sde(Sde),
    /// x_{n+1} = f(n, x_n) for a system of named variables.
    Recurrence(Recurrence),
    /// Minimises an objective by gradient descent with momentum (exact gradients by automatic differentiation).
    GradientDescent(GradientDescent),
    /// Fits a model to noisy data drawn from the model at `truth` (Levenberg–Marquardt).
    LeastSquares(LeastSquares),
}

/// F(x) = ∫ₐˣ f, cumulatively on a grid; expected: the antiderivative.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Integrate {
    pub integrand: String,
    pub antiderivative: Option<String>,
    pub domain: [Scalar; 2],
    pub points: usize,
    #[serde(default = "default_rule")]
    pub rule: Rule,
}

/// dy/dt = f(t, y) for a system of named variables.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ode {
    pub method: OdeMethod,
    pub state: Vec<Variable>,
    pub time: [Scalar; 2],
    pub steps: usize,
}

/// u_t = α u_xx on [0, length] with u = 0 at both ends (Crank–Nicolson or explicit Euler); expected: the
/// Fourier series.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Heat {
    /// How it steps in time: Crank–Nicolson (the default) or explicit Euler.
    #[serde(default)]
    pub method: HeatMethod,
    pub alpha: Scalar,
    pub length: Scalar,
    pub initial: String,
    pub points: usize,
    pub time: Scalar,
    pub steps: usize,
    /// How many rows the x–t heatmap keeps.
    pub snapshots: usize,
    pub fourier_terms: usize,
}

/// ∇²u = f on the unit square with u = g on its boundary (successive over-relaxation).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Poisson {
    pub source: String,
    pub boundary: String,
    pub exact: Option<String>,
    pub points: usize,
    pub max_iterations: usize,
    pub residual: f64,
}

/// u_tt = c² u_xx on [0, length], fixed ends (leapfrog finite differences).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wave {
    pub speed: Scalar,
    pub length: Scalar,
    pub initial: String,
    pub velocity: String,
    pub exact: Option<String>,
    pub points: usize,
    pub time: Scalar,
    pub steps: usize,
    /// How many frames the animation keeps.
    pub frames: usize,
}

/// dX = a(t, X) dt + b(t, X) dW (Euler–Maruyama), many paths from one seed.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sde {
    pub drift: String,
    pub diffusion: String,
    pub initial: Scalar,
    pub time: [Scalar; 2],
    pub steps: usize,
    pub paths: usize,
    pub seed: u64,
    pub exact_mean: Option<String>,
    pub exact_variance: Option<String>,
}

/// x_{n+1} = f(n, x_n) for a system of named variables.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recurrence {
    pub state: Vec<Variable>,
    pub steps: usize,
    /// Closed forms in n, by variable.
    #[serde(default)]
    pub closed_form: IndexMap<String, String>,
}

/// Minimises an objective by gradient descent with momentum (exact gradients by automatic differentiation).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradientDescent {
    pub objective: String,
    pub start: IndexMap<String, Scalar>,
    pub learning_rate: f64,
    #[serde(default)]
    pub momentum: f64,
    pub iterations: usize,
    /// The known minimiser, by parameter.
    pub minimum: Option<IndexMap<String, f64>>,
}

/// Fits a model to noisy data drawn from the model at `truth` (Levenberg–Marquardt).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeastSquares {
    pub model: String,
    pub truth: IndexMap<String, f64>,
    pub start: IndexMap<String, f64>,
    pub noise: f64,
    pub time: [Scalar; 2],
    pub points: usize,
    pub seed: u64,
    pub iterations: usize,
}

fn default_rule() -> Rule {
    Rule::Simpson
}

impl Computation {
    /// The solver's name as written in the YAML.
    pub fn solver(&self) -> &'static str {
        match self {
            Self::Integrate(_) => "integrate",
            Self::Ode(_) => "ode",
            Self::Heat(_) => "heat",
            Self::Poisson(_) => "poisson",
            Self::Wave(_) => "wave",
            Self::Sde(_) => "sde",
            Self::Recurrence(_) => "recurrence",
            Self::GradientDescent(_) => "gradient_descent",
            Self::LeastSquares(_) => "least_squares",
        }
    }
}
