//! A parsed query. The tree holds no positions, so two queries that mean the same compare equal; it prints
//! (`Display`) as a query that parses back to the same tree.

use std::fmt;

use crate::model::summary::statistic;

/// A condition on a run.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// Every run (the empty query).
    All,
    /// All of these (at least two, none of them an `And`).
    And(Vec<Expr>),
    /// Any of these (at least two, none of them an `Or`).
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// `field op value`.
    Compare(Field, Op, Literal),
    /// `field IN [a, b, …]`: equal to one of them.
    In(Field, Vec<Literal>),
    /// `field in lo..hi`: between them, both ends included.
    Range(Field, Literal, Literal),
    /// `field ~ /regex/`: the regular expression matches somewhere in the value.
    Matches(Field, Pattern),
    /// A bare word or quoted phrase: in the name or the equation, ignoring case.
    Word(String),
    /// `has(Solution2D)`: the run has a result of this type.
    Has(String),
}

/// What a condition looks at.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Name,
    Status,
    Equation,
    Circuit,
    /// The run's timestamp.
    Created,
    /// How many results the run has.
    Results,
    /// One of the run's tags: `tag = baseline` holds when one of them is `baseline`, `tag != baseline` when
    /// none is.
    Tag,
    /// Whether the run is starred.
    Starred,
    /// The run's note.
    Note,
    /// A metadata key: `meta.dt`, or `meta.solver.order` inside nested objects.
    Meta(String),
    /// A statistic of the run's results: `error.max`, `loss.final` (`model::summary::STATISTICS`).
    Stat(&'static str),
}

/// The fields a query may name, besides `meta.<key>`.
pub const FIELDS: [&str; 9] = [
    "name", "status", "equation", "circuit", "created", "results", "tag", "starred", "note",
];

impl Field {
    /// The field named `name`, if there is one.
    pub fn named(name: &str) -> Option<Self> {
        Some(match name {
            "name" => Self::Name,
            "status" => Self::Status,
            "equation" => Self::Equation,
            "circuit" => Self::Circuit,
            "created" => Self::Created,
            "results" => Self::Results,
            "tag" => Self::Tag,
            "starred" => Self::Starred,
            "note" => Self::Note,
            _ => match statistic(name) {
                Some(stat) => Self::Stat(stat.name),
                None => Self::Meta(
                    name.strip_prefix("meta.")
                        .filter(|k| !k.is_empty())?
                        .to_owned(),
                ),
            },
        })
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Name => f.write_str("name"),
            Self::Status => f.write_str("status"),
            Self::Equation => f.write_str("equation"),
            Self::Circuit => f.write_str("circuit"),
            Self::Created => f.write_str("created"),
            Self::Results => f.write_str("results"),
            Self::Tag => f.write_str("tag"),
            Self::Starred => f.write_str("starred"),
            Self::Note => f.write_str("note"),
            Self::Meta(key) => write!(f, "meta.{key}"),
            Self::Stat(name) => f.write_str(name),
        }
    }
}

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Eq => "=",
            Self::Ne => "!=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
        })
    }
}

/// A value in a query.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Number(f64),
    Text(String),
    Bool(bool),
    /// A point in time, in microseconds since 1970 (as written: `2026-11-30`, `2026-11-30T12:00:00Z`).
    Time(i64, String),
    /// A time relative to the query's evaluation, in seconds (`-2h` is two hours ago).
    Ago(f64),
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(v) => write!(f, "{v}"),
            Self::Text(s) => write_quoted(f, s),
            Self::Bool(b) => write!(f, "{b}"),
            Self::Time(_, text) => f.write_str(text),
            Self::Ago(seconds) => write!(f, "{seconds}s"),
        }
    }
}

/// A regular expression, compiled once with bounded size (the engine runs in linear time).
#[derive(Clone, Debug)]
pub struct Pattern {
    pub source: String,
    pub regex: regex::Regex,
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let joined =
            |f: &mut fmt::Formatter<'_>, items: &[Expr], word: &str, paren: fn(&Expr) -> bool| {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        write!(f, " {word} ")?;
                    }
                    if paren(item) {
                        write!(f, "({item})")?;
                    } else {
                        write!(f, "{item}")?;
                    }
                }
                Ok(())
            };
        match self {
            Self::All => Ok(()),
            Self::And(items) => joined(f, items, "AND", |e| matches!(e, Expr::Or(_))),
            Self::Or(items) => joined(f, items, "OR", |_| false),
            Self::Not(inner) => match **inner {
                Expr::And(_) | Expr::Or(_) => write!(f, "NOT ({inner})"),
                _ => write!(f, "NOT {inner}"),
            },
            Self::Compare(field, op, value) => write!(f, "{field} {op} {value}"),
            Self::In(field, values) => {
                write!(f, "{field} IN [")?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Self::Range(field, lo, hi) => write!(f, "{field} IN {lo}..{hi}"),
            Self::Matches(field, pattern) => {
                write!(f, "{field} ~ /{}/", pattern.source.replace('/', "\\/"))
            }
            Self::Word(word) => write_quoted(f, word),
            Self::Has(result_type) => write!(f, "has({result_type})"),
        }
    }
}
