//! The grammar, its errors and their places, evaluation, and printing back.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use super::*;
use crate::model::summary::RunStats;
use crate::model::{RunId, RunStatus, RunSummary};

fn run(name: &str, status: RunStatus, equation: Option<&str>, results: usize) -> RunSummary {
    RunSummary {
        id: RunId(uuid::Uuid::new_v4()),
        name: name.into(),
        timestamp: "2026-11-30T12:00:00Z".into(),
        equation: equation.map(str::to_owned),
        circuit: None,
        status: Some(status),
        result_count: results,
        tags: Vec::new(),
        note: None,
        starred: false,
        problem: None,
        progress: None,
    }
}

#[test]
fn tags_star_and_note_are_fields_and_a_run_has_many_tags() {
    let mut tagged = run("heat", RunStatus::Completed, None, 1);
    tagged.tags = vec!["baseline".into(), "paper-2026".into()];
    tagged.note = Some("Diverged after step 40; rerun with smaller dt".into());
    tagged.starred = true;
    let plain = run("wave", RunStatus::Completed, None, 1);
    for (query, on_tagged, on_plain) in [
        ("tag = baseline", true, false),
        ("tag = paper-2026", true, false),
        ("tag != baseline", false, true),
        ("tag != other", true, true),
        ("NOT tag = baseline", false, true),
        ("tag IN [other, paper-2026]", true, false),
        ("tag ~ /^paper/", true, false),
        ("starred = true", true, false),
        ("starred = false", false, true),
        ("note ~ /(?i)diverged/", true, false),
        ("note = \"x\"", false, false),
    ] {
        assert_eq!(
            matches(query, &tagged, json!({})),
            on_tagged,
            "{query} on the tagged run"
        );
        assert_eq!(
            matches(query, &plain, json!({})),
            on_plain,
            "{query} on the plain run"
        );
    }
}

#[test]
fn result_statistics_and_types_are_fields() {
    let summary = run("heat", RunStatus::Completed, None, 3);
    let stats = RunStats {
        values: vec![
            ("error.max", Some(2e-4)),
            ("loss.final", Some(0.01)),
            ("field.max", None),
        ],
        types: vec![("Solution1D".into(), 2), ("MyOwnType".into(), 1)],
        missing: 0,
    };
    // A metadata key of the same name is a different field.
    let meta = json!({"error": {"max": 7}, "Solution2D": 1});
    for (query, expected) in [
        ("error.max < 1e-3", true),
        ("error.max < 1e-4", false),
        ("meta.error.max = 7", true),
        ("loss.final in 0..0.1", true),
        ("error.rms < 1", false),
        ("NOT error.rms < 1", true),
        // A statistic that is not a number (NaN in the data) matches no comparison.
        ("field.max > 0 OR field.max <= 0", false),
        ("has(Solution1D)", true),
        ("has(solution1d)", true),
        ("has(Solution2D)", false),
        ("has(MyOwnType) AND NOT has(PhysicsAnimation)", true),
        ("HAS(OptimizationResult) OR error.max > 0", true),
    ] {
        assert_eq!(
            matches_with(query, &summary, meta.clone(), &stats),
            expected,
            "{query}"
        );
    }
    assert_eq!(
        parse("has(solution2d)").unwrap().to_string(),
        "has(Solution2D)"
    );
    let e = error("has(Solution2D");
    assert!(e.message.contains("`)`"), "{}", e.message);
    let e = error("eror.max < 1");
    assert!(e.message.contains("`error.max`"), "{}", e.message);
}

/// Whether `query` matches a run with `summary` and `metadata`, created at noon on 2026-11-30, evaluated at
/// 13:00 that day.
fn matches(query: &str, summary: &RunSummary, metadata: serde_json::Value) -> bool {
    matches_with(query, summary, metadata, &RunStats::default())
}

fn matches_with(
    query: &str,
    summary: &RunSummary,
    metadata: serde_json::Value,
    stats: &RunStats,
) -> bool {
    let expr = parse(query).unwrap_or_else(|e| panic!("{query}: {e}"));
    let mut symbols = Symbols::default();
    let meta = symbols.pairs(&metadata.as_object().cloned().unwrap_or_default());
    let stats = symbols.stat_pairs(stats);
    let noon = parse_time("2026-11-30T12:00:00Z");
    let row = Row {
        summary,
        meta: &meta,
        stats: &stats,
        symbols: &symbols,
        created: Some(noon),
    };
    expr.matches(&row, noon + 3_600_000_000)
}

fn parse_time(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap()
        .timestamp_micros()
}

fn error(query: &str) -> QueryError {
    parse(query).expect_err(query)
}

#[test]
fn conditions_combine_with_and_or_not_and_parentheses() {
    let failed = run("heat rk4", RunStatus::Failed, Some("u_t = u_xx"), 3);
    let meta = json!({"dt": 5e-4, "solver": "rk4", "grid": {"n": 64}, "converged": true});
    for (query, expected) in [
        ("", true),
        ("status = failed", true),
        ("status = failed AND meta.dt < 1e-3", true),
        ("status = failed meta.dt < 1e-3", true),
        ("status = completed OR meta.dt < 1e-3", true),
        ("NOT status = failed", false),
        ("status != failed", false),
        (
            "(status = completed OR results >= 3) AND meta.solver = rk4",
            true,
        ),
        ("meta.solver IN [euler, rk4]", true),
        ("meta.solver IN [euler, leapfrog]", false),
        ("meta.dt in 1e-4..1e-3", true),
        ("meta.dt IN 1e-3..1e-2", false),
        ("meta.grid.n = 64", true),
        ("meta.grid.n > 100", false),
        ("meta.converged = true", true),
        ("meta.missing = 1", false),
        ("NOT meta.missing = 1", true),
        ("name ~ /heat.*rk/", true),
        ("name ~ \"^rk4\"", false),
        ("HEAT", true),
        ("u_xx", true),
        ("\"heat rk4\"", true),
        ("wave", false),
        ("results = 3", true),
        ("created > -2h", true),
        ("created > -30m", false),
        ("created >= 2026-11-30", true),
        ("created < 2026-11-30T11:59:59Z", false),
    ] {
        assert_eq!(matches(query, &failed, meta.clone()), expected, "{query}");
    }
}

#[test]
fn numbers_compare_as_numbers_and_text_as_text() {
    let r = run("r", RunStatus::Running, None, 0);
    // 10 > 9 as numbers, though "10" < "9" as text; a number written as text still compares as a number.
    assert!(matches("meta.n > 9", &r, json!({"n": 10})));
    assert!(matches("meta.n > 9", &r, json!({"n": "10"})));
    assert!(matches("meta.label > abc", &r, json!({"label": "abd"})));
    assert!(
        !matches("meta.label > 9", &r, json!({"label": "abd"})),
        "text and a number do not compare"
    );
    // The NaN and Infinity markers of the storage compare as the numbers they stand for.
    let infinity = crate::storage::json::value_of(f64::INFINITY);
    assert!(matches("meta.x > 1e300", &r, json!({ "x": infinity })));
}

#[test]
fn a_malformed_query_says_what_and_where() {
    let e = error("stauts = failed");
    assert_eq!((e.start, e.end), (0, 6));
    assert!(e.message.contains("`status`"), "{}", e.message);
    let e = error("dt < 1");
    assert!(e.message.contains("`meta.dt`"), "{}", e.message);
    let e = error("status = failed AND (meta.dt < 1");
    assert!(e.message.contains("`)`"), "{}", e.message);
    assert_eq!(e.start, 20, "{e:?}");
    let e = error("status = frozen");
    assert_eq!((e.start, e.end), (9, 15));
    assert!(e.message.contains("running, completed or failed"));
    let e = error("name ~ /(unclosed/");
    assert!(
        e.message.starts_with("invalid regular expression"),
        "{}",
        e.message
    );
    assert_eq!(e.start, 7);
    let e = error("results > many");
    assert!(e.message.contains("whole number"));
    let e = error("created > yesterday");
    assert!(e.message.contains("relative to now"));
    let e = error("meta.dt < 1e-3 )");
    assert_eq!((e.message.as_str(), e.start), ("unmatched `)`", 15));
    let e = error("name = \"open");
    assert!(e.message.starts_with("unterminated string"));
    let e = error("meta.t > 3x");
    assert!(e.message.contains("unknown unit `x`"), "{}", e.message);
    assert_eq!((e.start, e.end), (10, 11));
    let e = error("status =");
    assert_eq!(e.start, 8);
}

#[test]
fn huge_and_deep_queries_are_refused_and_regular_expressions_stay_linear() {
    let long = "a ".repeat(MAX_QUERY_BYTES);
    assert!(error(&long).message.contains("bytes long"));
    let deep = format!("{}a{}", "(".repeat(1_000), ")".repeat(1_000));
    let e = error(&deep);
    assert!(e.message.contains("nests more than"), "{}", e.message);
    let nots = format!("{}a", "NOT ".repeat(1_000));
    assert!(error(&nots).message.contains("nests more than"));
    // 10 KB of conditions is a long but fine query.
    let wide = vec!["meta.x = 1"; 900].join(" OR ");
    assert!(wide.len() > 9_000);
    assert!(matches(
        &wide,
        &run("r", RunStatus::Running, None, 0),
        json!({"x": 1})
    ));
    // A catastrophic pattern for a backtracking engine: linear here.
    let name = "a".repeat(50_000);
    let r = run(&name, RunStatus::Running, None, 0);
    let started = std::time::Instant::now();
    assert!(!matches("name ~ /(a*)*b/", &r, json!({})));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(error(&format!("name ~ /a{{{}}}{{{}}}/", 10_000, 10_000))
        .message
        .starts_with("invalid regular expression"));
}

#[test]
fn sort_keys_are_fields_ascending_or_descending() {
    let keys = parse_sort("meta.dt, -name").unwrap();
    assert_eq!(
        keys,
        vec![
            SortKey {
                field: Field::Meta("dt".into()),
                descending: false
            },
            SortKey {
                field: Field::Name,
                descending: true
            }
        ]
    );
    assert_eq!(parse_sort("").unwrap()[0].field, Field::Created);
    let e = parse_sort("created,-nmae").unwrap_err();
    assert_eq!((e.start, e.end), (9, 13));
    assert!(e.message.contains("`name`"));
}

/// A random query tree in the shape the parser builds (flattened `AND`s and `OR`s of two or more).
fn random_expr(rng: &mut ChaCha8Rng, depth: usize) -> Expr {
    let words = ["heat", "rk4", "wave 2d", "a\"b", "back\\slash", "ünï"];
    let fields = [
        Field::Name,
        Field::Equation,
        Field::Circuit,
        Field::Meta("dt".into()),
        Field::Meta("solver.order".into()),
        Field::Stat("error.max"),
        Field::Stat("loss.final"),
    ];
    let literal = |rng: &mut ChaCha8Rng| match rng.random_range(0..4) {
        0 => Literal::Number(rng.random_range(-1e6..1e6)),
        1 => Literal::Number(f64::from(rng.random_range(-5..5)) * 1e-3),
        2 => Literal::Text(words[rng.random_range(0..words.len())].into()),
        _ => Literal::Bool(rng.random()),
    };
    let choice = if depth >= 4 {
        rng.random_range(3..10)
    } else {
        rng.random_range(0..10)
    };
    match choice {
        0 | 1 => {
            let n = rng.random_range(2..4);
            let items = (0..n)
                .map(|_| loop {
                    let e = random_expr(rng, depth + 1);
                    match (&e, choice) {
                        (Expr::And(_), 0) | (Expr::Or(_), 1) | (Expr::All, _) => continue,
                        _ => break e,
                    }
                })
                .collect();
            if choice == 0 {
                Expr::And(items)
            } else {
                Expr::Or(items)
            }
        }
        2 => Expr::Not(Box::new(loop {
            let e = random_expr(rng, depth + 1);
            if e != Expr::All {
                break e;
            }
        })),
        3 | 4 => {
            let ops = [Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge];
            let field = fields[rng.random_range(0..fields.len())].clone();
            Expr::Compare(field, ops[rng.random_range(0..6)], literal(rng))
        }
        5 => {
            let field = fields[rng.random_range(0..fields.len())].clone();
            let n = rng.random_range(1..4);
            Expr::In(field, (0..n).map(|_| literal(rng)).collect())
        }
        6 => Expr::Range(Field::Meta("dt".into()), literal(rng), literal(rng)),
        7 => {
            let source = ["heat.*2d", "^rk/4$", r"a\d+", "x|y"][rng.random_range(0..4)].to_owned();
            let regex = regex::Regex::new(&source).unwrap();
            Expr::Matches(Field::Name, Pattern { source, regex })
        }
        8 => Expr::Has(["Solution2D", "MyOwnType"][rng.random_range(0..2)].into()),
        _ => Expr::Word(words[rng.random_range(0..words.len())].into()),
    }
}

#[test]
fn printing_a_query_and_parsing_it_again_gives_the_same_tree() {
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    for _ in 0..3_000 {
        let expr = random_expr(&mut rng, 0);
        let text = expr.to_string();
        let again = parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(again, expr, "{text}");
    }
    // And the other way round, for queries as people write them.
    for query in [
        "status = failed and meta.dt<1e-3",
        "(a OR b) c NOT (d AND e)",
        "created > -2h AND created < 2026-12-01",
        "meta.dt in 1e-4..1e-2 name ~ /heat\\/2d/",
    ] {
        let tree = parse(query).unwrap();
        assert_eq!(parse(&tree.to_string()).unwrap(), tree, "{query} → {tree}");
    }
}
