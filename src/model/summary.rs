//! Result statistics: a few numbers per result (`error.max`, `loss.final`), computed once when the result is
//! written and kept in its run's file, so that the run list can filter and sort 100,000 runs by them without
//! reading a single result (docs/storage-format.md, "Result statistics").

/// How a run's value of a statistic follows from its results' values, when it has several results of a type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fold {
    /// The largest: the worst error, the highest point of any field.
    Max,
    /// The smallest.
    Min,
    /// The run's last result of that type (the one added last).
    Last,
}

/// One statistic: its name in queries and columns, the result types that have it, and how a run with several
/// of them gets one value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Statistic {
    pub name: &'static str,
    pub types: &'static [&'static str],
    pub fold: Fold,
    /// What it is, for the documentation and the query bar's suggestions.
    pub about: &'static str,
}

const COMPARED: &[&str] = &["Solution1D", "DiscreteSequence"];

/// Every statistic, in the order the documentation lists them.
pub const STATISTICS: [Statistic; 13] = [
    Statistic {
        name: "error.max",
        types: COMPARED,
        fold: Fold::Max,
        about: "largest |computed − expected| (Solution1D, DiscreteSequence with `expected`)",
    },
    Statistic {
        name: "error.rms",
        types: COMPARED,
        fold: Fold::Max,
        about: "root mean square of computed − expected",
    },
    Statistic {
        name: "loss.final",
        types: &["OptimizationResult"],
        fold: Fold::Last,
        about: "the last loss",
    },
    Statistic {
        name: "loss.min",
        types: &["OptimizationResult"],
        fold: Fold::Min,
        about: "the smallest loss",
    },
    Statistic {
        name: "loss.steps",
        types: &["OptimizationResult"],
        fold: Fold::Last,
        about: "how many steps were recorded",
    },
    Statistic {
        name: "ensemble.mean",
        types: &["StochasticEnsemble"],
        fold: Fold::Last,
        about: "mean of the paths at the final time",
    },
    Statistic {
        name: "ensemble.std",
        types: &["StochasticEnsemble"],
        fold: Fold::Last,
        about: "standard deviation of the paths at the final time",
    },
    Statistic {
        name: "ensemble.paths",
        types: &["StochasticEnsemble"],
        fold: Fold::Last,
        about: "how many paths",
    },
    Statistic {
        name: "field.min",
        types: &["Solution2D"],
        fold: Fold::Min,
        about: "the smallest value of the field",
    },
    Statistic {
        name: "field.max",
        types: &["Solution2D"],
        fold: Fold::Max,
        about: "the largest value of the field",
    },
    Statistic {
        name: "field.mean",
        types: &["Solution2D"],
        fold: Fold::Last,
        about: "the mean value of the field",
    },
    Statistic {
        name: "animation.frames",
        types: &["PhysicsAnimation"],
        fold: Fold::Last,
        about: "how many frames",
    },
    Statistic {
        name: "animation.duration",
        types: &["PhysicsAnimation"],
        fold: Fold::Last,
        about: "time from the first frame to the last (t, or frames ÷ fps)",
    },
];

/// The statistic called `name`.
pub fn statistic(name: &str) -> Option<&'static Statistic> {
    STATISTICS.iter().find(|s| s.name == name)
}

/// One result's statistics as its run file keeps them: its type, and each statistic it has by name (`None`
/// when the value is not a finite number: a result holding NaN has NaN statistics).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResultStats {
    pub result_type: String,
    pub values: Vec<(&'static str, Option<f64>)>,
}

/// A run's statistics: each one its results have, folded into one value ([`Fold`]); `None` when a value that
/// went into it was not a finite number (then no comparison holds, as for NaN), and how many results of each
/// type it has (for `has(Solution2D)`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunStats {
    pub values: Vec<(&'static str, Option<f64>)>,
    pub types: Vec<(String, usize)>,
    /// How many of the run's results have no statistics in its file yet (written by an older writer).
    pub missing: usize,
}

impl RunStats {
    /// Folds the statistics of a run's results, given in the order they were added (`None`: not known yet).
    pub fn fold<S: std::borrow::Borrow<ResultStats>>(
        results: impl IntoIterator<Item = Option<S>>,
    ) -> Self {
        let mut run = Self::default();
        for result in results {
            let Some(result) = result else {
                run.missing += 1;
                continue;
            };
            let result = result.borrow();
            match run.types.iter_mut().find(|(t, _)| *t == result.result_type) {
                Some((_, n)) => *n += 1,
                None => run.types.push((result.result_type.clone(), 1)),
            }
            for &(name, value) in &result.values {
                let fold = statistic(name).map_or(Fold::Last, |s| s.fold);
                match run.values.iter_mut().find(|(n, _)| *n == name) {
                    None => run.values.push((name, value)),
                    Some((_, held)) => {
                        *held = match (fold, *held, value) {
                            (Fold::Last, _, new) => new,
                            (_, None, _) | (_, _, None) => None,
                            (Fold::Max, Some(a), Some(b)) => Some(a.max(b)),
                            (Fold::Min, Some(a), Some(b)) => Some(a.min(b)),
                        }
                    }
                }
            }
        }
        run
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(t: &str, values: &[(&'static str, Option<f64>)]) -> ResultStats {
        ResultStats {
            result_type: t.into(),
            values: values.to_vec(),
        }
    }

    #[test]
    fn a_run_takes_the_worst_error_the_extremes_and_the_last_of_the_rest() {
        let a = stats(
            "Solution1D",
            &[("error.max", Some(1e-3)), ("error.rms", Some(1e-4))],
        );
        let b = stats(
            "Solution1D",
            &[("error.max", Some(5e-3)), ("error.rms", Some(2e-5))],
        );
        let l1 = stats(
            "OptimizationResult",
            &[("loss.final", Some(0.5)), ("loss.min", Some(0.1))],
        );
        let l2 = stats(
            "OptimizationResult",
            &[("loss.final", Some(0.7)), ("loss.min", Some(0.3))],
        );
        let run = RunStats::fold([Some(&a), Some(&l1), None, Some(&b), Some(&l2)]);
        assert_eq!(
            run.values,
            vec![
                ("error.max", Some(5e-3)),
                ("error.rms", Some(1e-4)),
                ("loss.final", Some(0.7)),
                ("loss.min", Some(0.1)),
            ]
        );
        assert_eq!(
            run.types,
            vec![("Solution1D".into(), 2), ("OptimizationResult".into(), 2)]
        );
        assert_eq!(run.missing, 1);
    }

    #[test]
    fn a_value_that_is_not_a_number_makes_the_runs_value_unknown() {
        let fine = stats("Solution1D", &[("error.max", Some(1e-9))]);
        let diverged = stats("Solution1D", &[("error.max", None)]);
        let run = RunStats::fold([Some(&fine), Some(&diverged), Some(&fine)]);
        assert_eq!(run.values, vec![("error.max", None)]);
    }
}
