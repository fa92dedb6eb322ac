//! Expressions: parsed by `evalexpr` into its operator tree, then compiled into a [`Program`] — a short list of
//! register instructions over `f64` — which is what the runtime evaluates, and what a run's `circuit` shows.
//! The same program evaluates on dual numbers for exact derivatives (gradient descent, least squares).

use std::fmt;

use evalexpr::{Node, Operator};

pub use crate::example::real::{Dual, Real};

/// The functions an expression may call, by name and number of arguments.
const FUNCTIONS: [(&str, usize); 20] = [
    ("sin", 1),
    ("cos", 1),
    ("tan", 1),
    ("asin", 1),
    ("acos", 1),
    ("atan", 1),
    ("sinh", 1),
    ("cosh", 1),
    ("tanh", 1),
    ("exp", 1),
    ("ln", 1),
    ("log10", 1),
    ("sqrt", 1),
    ("abs", 1),
    ("floor", 1),
    ("sign", 1),
    ("atan2", 2),
    ("min", 2),
    ("max", 2),
    ("if", 3),
];

/// Constants every expression knows, unless a variable of the same name hides them.
const CONSTANTS: [(&str, f64); 3] = [
    ("pi", std::f64::consts::PI),
    ("e", std::f64::consts::E),
    ("tau", std::f64::consts::TAU),
];

/// One instruction: computes a register from earlier registers, constants or inputs.
#[derive(Clone, Debug, PartialEq)]
enum Op {
    Const(f64),
    Input(usize),
    Neg(usize),
    Add(usize, usize),
    Sub(usize, usize),
    Mul(usize, usize),
    Div(usize, usize),
    Pow(usize, usize),
    Rem(usize, usize),
    Less(usize, usize),
    LessEq(usize, usize),
    Greater(usize, usize),
    GreaterEq(usize, usize),
    Equal(usize, usize),
    NotEqual(usize, usize),
    And(usize, usize),
    Or(usize, usize),
    Not(usize),
    Call1(&'static str, usize),
    Call2(&'static str, usize, usize),
    If(usize, usize, usize),
}

/// An expression compiled for a fixed list of inputs: evaluate it with their values in that order.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    source: String,
    inputs: Vec<String>,
    ops: Vec<Op>,
}

/// What is wrong with an expression, in words for the person who wrote it.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct ExprError(pub String);

impl Program {
    /// Parses `source` with evalexpr and compiles it for `inputs` (the names it may use besides the
    /// constants pi, e and tau).
    pub fn compile(source: &str, inputs: &[&str]) -> Result<Self, ExprError> {
        let tree = evalexpr::build_operator_tree::<evalexpr::DefaultNumericTypes>(source)
            .map_err(|e| ExprError(format!("cannot parse {source:?}: {e}")))?;
        let mut program = Self {
            source: source.to_owned(),
            inputs: inputs.iter().map(|s| (*s).to_owned()).collect(),
            ops: Vec::new(),
        };
        program.emit(&tree)?;
        if program.ops.is_empty() {
            return Err(ExprError(format!(
                "{source:?} is empty: expected an expression"
            )));
        }
        Ok(program)
    }

    /// The expression as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The names of the inputs, in the order `eval` takes their values.
    pub fn inputs(&self) -> &[String] {
        &self.inputs
    }

    fn push(&mut self, op: Op) -> usize {
        self.ops.push(op);
        self.ops.len() - 1
    }

    /// Emits the instructions of `node` and returns the register holding its value.
    fn emit(&mut self, node: &Node) -> Result<usize, ExprError> {
        let children = node.children();
        let arg = |program: &mut Self, i: usize| -> Result<usize, ExprError> {
            let child = children.get(i).ok_or_else(|| {
                ExprError(format!(
                    "cannot parse {:?}: an operator lacks an operand",
                    program.source
                ))
            })?;
            program.emit(child)
        };
        let binary =
            |program: &mut Self, make: fn(usize, usize) -> Op| -> Result<usize, ExprError> {
                let (a, b) = (arg(program, 0)?, arg(program, 1)?);
                Ok(program.push(make(a, b)))
            };
        match node.operator() {
            Operator::RootNode => match children.len() {
                1 => arg(self, 0),
                0 => Err(ExprError(format!(
                    "{:?} is empty: expected an expression",
                    self.source
                ))),
                _ => Err(ExprError(format!(
                    "{:?}: expected one expression, found several",
                    self.source
                ))),
            },
            Operator::Const { value } => {
                let v = value.as_number().map_err(|_| {
                    ExprError(format!(
                        "{:?}: expected numbers, found {value}",
                        self.source
                    ))
                })?;
                Ok(self.push(Op::Const(v)))
            }
            Operator::VariableIdentifierRead { identifier } => {
                if let Some(i) = self.inputs.iter().position(|n| n == identifier) {
                    return Ok(self.push(Op::Input(i)));
                }
                if let Some((_, v)) = CONSTANTS.iter().find(|(n, _)| n == identifier) {
                    return Ok(self.push(Op::Const(*v)));
                }
                let mut known: Vec<&str> = self.inputs.iter().map(String::as_str).collect();
                known.extend(CONSTANTS.iter().map(|(n, _)| *n));
                Err(ExprError(format!(
                    "unknown name `{identifier}` in {:?}: expected one of {}",
                    self.source,
                    known.join(", ")
                )))
            }
            Operator::FunctionIdentifier { identifier } => self.call(identifier, node),
            Operator::Neg => {
                let a = arg(self, 0)?;
                Ok(self.push(Op::Neg(a)))
            }
            Operator::Not => {
                let a = arg(self, 0)?;
                Ok(self.push(Op::Not(a)))
            }
            Operator::Add => binary(self, Op::Add),
            Operator::Sub => binary(self, Op::Sub),
            Operator::Mul => binary(self, Op::Mul),
            Operator::Div => binary(self, Op::Div),
            Operator::Mod => binary(self, Op::Rem),
            Operator::Exp => binary(self, Op::Pow),
            Operator::Lt => binary(self, Op::Less),
            Operator::Leq => binary(self, Op::LessEq),
            Operator::Gt => binary(self, Op::Greater),
            Operator::Geq => binary(self, Op::GreaterEq),
            Operator::Eq => binary(self, Op::Equal),
            Operator::Neq => binary(self, Op::NotEqual),
            Operator::And => binary(self, Op::And),
            Operator::Or => binary(self, Op::Or),
            other => Err(ExprError(format!(
                "{:?}: `{other}` is not supported; expected arithmetic (+ - * / % ^), comparisons, \
                 and the functions {}",
                self.source,
                FUNCTIONS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            ))),
        }
    }

    fn call(&mut self, name: &str, node: &Node) -> Result<usize, ExprError> {
        let Some(&(name, arity)) = FUNCTIONS.iter().find(|(n, _)| *n == name) else {
            return Err(ExprError(format!(
                "unknown function `{name}` in {:?}: expected one of {}",
                self.source,
                FUNCTIONS
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        // The argument is one node: an expression, or a tuple of them (possibly inside a root node).
        let mut argument = node
            .children()
            .first()
            .ok_or_else(|| ExprError(format!("`{name}` in {:?} has no argument", self.source)))?;
        while matches!(argument.operator(), Operator::RootNode) && argument.children().len() == 1 {
            argument = &argument.children()[0];
        }
        let args: Vec<&Node> = match argument.operator() {
            Operator::Tuple => argument.children().iter().collect(),
            _ => vec![argument],
        };
        if args.len() != arity {
            return Err(ExprError(format!(
                "`{name}` in {:?} takes {arity} argument{}, found {}",
                self.source,
                if arity == 1 { "" } else { "s" },
                args.len()
            )));
        }
        let mut registers = Vec::with_capacity(arity);
        for a in args {
            registers.push(self.emit(a)?);
        }
        Ok(match registers.as_slice() {
            [a] => self.push(Op::Call1(name, *a)),
            [c, a, b] => self.push(Op::If(*c, *a, *b)),
            [a, b] => self.push(Op::Call2(name, *a, *b)),
            _ => unreachable!("arities are 1 to 3"),
        })
    }

    /// Evaluates the program with `inputs` in the order given at compilation.
    pub fn eval<T: Real>(&self, inputs: &[T]) -> T {
        // Most expressions fit in 32 registers on the stack; longer ones use the heap.
        let mut small = [T::from(0.0); 32];
        let mut large = Vec::new();
        let registers: &mut [T] = if self.ops.len() <= small.len() {
            &mut small[..self.ops.len()]
        } else {
            large.resize(self.ops.len(), T::from(0.0));
            &mut large
        };
        for (i, op) in self.ops.iter().enumerate() {
            let r = |k: usize| registers[k];
            let truth = |b: bool| T::from(if b { 1.0 } else { 0.0 });
            registers[i] = match *op {
                Op::Const(v) => T::from(v),
                Op::Input(k) => inputs[k],
                Op::Neg(a) => -r(a),
                Op::Add(a, b) => r(a) + r(b),
                Op::Sub(a, b) => r(a) - r(b),
                Op::Mul(a, b) => r(a) * r(b),
                Op::Div(a, b) => r(a) / r(b),
                Op::Pow(a, b) => r(a).pow(r(b)),
                Op::Rem(a, b) => T::from(r(a).value() % r(b).value()),
                Op::Less(a, b) => truth(r(a).value() < r(b).value()),
                Op::LessEq(a, b) => truth(r(a).value() <= r(b).value()),
                Op::Greater(a, b) => truth(r(a).value() > r(b).value()),
                Op::GreaterEq(a, b) => truth(r(a).value() >= r(b).value()),
                Op::Equal(a, b) => truth(r(a).value() == r(b).value()),
                Op::NotEqual(a, b) => truth(r(a).value() != r(b).value()),
                Op::And(a, b) => truth(r(a).value() != 0.0 && r(b).value() != 0.0),
                Op::Or(a, b) => truth(r(a).value() != 0.0 || r(b).value() != 0.0),
                Op::Not(a) => truth(r(a).value() == 0.0),
                Op::If(c, a, b) => {
                    if r(c).value() != 0.0 {
                        r(a)
                    } else {
                        r(b)
                    }
                }
                Op::Call1(name, a) => r(a).call(name),
                Op::Call2(name, a, b) => {
                    let (a, b) = (r(a), r(b));
                    match name {
                        "atan2" => a.atan2(b),
                        "min" => {
                            if b.value() < a.value() {
                                b
                            } else {
                                a
                            }
                        }
                        _ => {
                            if b.value() > a.value() {
                                b
                            } else {
                                a
                            }
                        }
                    }
                }
            };
        }
        registers[self.ops.len() - 1]
    }

    /// The derivatives of the value with respect to each input, exactly (forward-mode automatic
    /// differentiation on dual numbers): one pass per input.
    pub fn gradient(&self, inputs: &[f64]) -> (f64, Vec<f64>) {
        let mut grad = Vec::with_capacity(inputs.len());
        let mut value = 0.0;
        for k in 0..inputs.len() {
            let duals: Vec<Dual> = inputs
                .iter()
                .enumerate()
                .map(|(i, &v)| Dual {
                    v,
                    d: if i == k { 1.0 } else { 0.0 },
                })
                .collect();
            let out = self.eval(&duals);
            value = out.v;
            grad.push(out.d);
        }
        if inputs.is_empty() {
            value = self.eval::<f64>(&[]);
        }
        (value, grad)
    }
}

/// The listing of a program, one register per line: `r3 = mul r1 r2`.
impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, op) in self.ops.iter().enumerate() {
            write!(f, "  r{i} = ")?;
            match op {
                Op::Const(v) => write!(f, "const {v}")?,
                Op::Input(k) => write!(f, "load {}", self.inputs[*k])?,
                Op::Neg(a) => write!(f, "neg r{a}")?,
                Op::Not(a) => write!(f, "not r{a}")?,
                Op::Add(a, b) => write!(f, "add r{a} r{b}")?,
                Op::Sub(a, b) => write!(f, "sub r{a} r{b}")?,
                Op::Mul(a, b) => write!(f, "mul r{a} r{b}")?,
                Op::Div(a, b) => write!(f, "div r{a} r{b}")?,
                Op::Pow(a, b) => write!(f, "pow r{a} r{b}")?,
                Op::Rem(a, b) => write!(f, "rem r{a} r{b}")?,
                Op::Less(a, b) => write!(f, "lt r{a} r{b}")?,
                Op::LessEq(a, b) => write!(f, "le r{a} r{b}")?,
                Op::Greater(a, b) => write!(f, "gt r{a} r{b}")?,
                Op::GreaterEq(a, b) => write!(f, "ge r{a} r{b}")?,
                Op::Equal(a, b) => write!(f, "eq r{a} r{b}")?,
                Op::NotEqual(a, b) => write!(f, "ne r{a} r{b}")?,
                Op::And(a, b) => write!(f, "and r{a} r{b}")?,
                Op::Or(a, b) => write!(f, "or r{a} r{b}")?,
                Op::If(c, a, b) => write!(f, "select r{c} r{a} r{b}")?,
                Op::Call1(name, a) => write!(f, "{name} r{a}")?,
                Op::Call2(name, a, b) => write!(f, "{name} r{a} r{b}")?,
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluates_like_the_formula() {
        let p = Program::compile("sin(k * x) / k + x^2 - 3 % 2", &["x", "k"]).unwrap();
        let (x, k) = (0.7f64, 2.0f64);
        let want = (k * x).sin() / k + x * x - 1.0;
        assert!((p.eval(&[x, k]) - want).abs() < 1e-15);
        // Integers divide like reals.
        assert_eq!(
            Program::compile("1 / 2", &[]).unwrap().eval::<f64>(&[]),
            0.5
        );
        let q =
            Program::compile("if(x > 0, x, -x) + max(x, 2) + atan2(1, 1) + pi", &["x"]).unwrap();
        assert!(
            (q.eval(&[-3.0]) - (3.0 + 2.0 + std::f64::consts::FRAC_PI_4 + std::f64::consts::PI))
                .abs()
                < 1e-15
        );
    }

    #[test]
    fn the_listing_is_the_program() {
        let p = Program::compile("-x * 2", &["x"]).unwrap();
        assert_eq!(
            p.to_string(),
            "  r0 = load x\n  r1 = neg r0\n  r2 = const 2\n  r3 = mul r1 r2\n"
        );
    }

    #[test]
    fn gradients_are_exact() {
        // Rosenbrock: ∂/∂a = −2(1 − a) − 400 a (b − a²), ∂/∂b = 200 (b − a²).
        let p = Program::compile("(1 - a)^2 + 100 * (b - a^2)^2", &["a", "b"]).unwrap();
        let (a, b) = (-1.2, 1.0);
        let (value, grad) = p.gradient(&[a, b]);
        assert!((value - ((1.0f64 - a).powi(2) + 100.0 * (b - a * a).powi(2))).abs() < 1e-12);
        assert!((grad[0] - (-2.0 * (1.0 - a) - 400.0 * a * (b - a * a))).abs() < 1e-9);
        assert!((grad[1] - 200.0 * (b - a * a)).abs() < 1e-9);
        let (_, g) = Program::compile("exp(-k * t) * sqrt(t)", &["k", "t"])
            .unwrap()
            .gradient(&[0.5, 2.0]);
        assert!((g[0] - (-2.0 * (-1.0f64).exp() * 2f64.sqrt())).abs() < 1e-12);
    }

    #[test]
    fn mistakes_are_explained() {
        let err = Program::compile("cos(y)", &["x"]).unwrap_err().0;
        assert!(
            err.contains("unknown name `y`") && err.contains("expected one of x, pi, e, tau"),
            "{err}"
        );
        let err = Program::compile("sine(x)", &["x"]).unwrap_err().0;
        assert!(
            err.contains("unknown function `sine`") && err.contains("sin, cos"),
            "{err}"
        );
        let err = Program::compile("atan2(x)", &["x"]).unwrap_err().0;
        assert!(err.contains("takes 2 arguments, found 1"), "{err}");
        assert!(Program::compile("x +", &["x"])
            .unwrap_err()
            .0
            .contains("cannot parse"));
        assert!(Program::compile("", &["x"]).is_err());
    }
}
