//! A sweep as a grid: runs placed by their values of two fields, the newest run at each point.

use super::study::value_order;
use crate::model::sweep::{SweepCell, SweepGrid};
use crate::model::{RunId, RunStatus};

/// The most distinct values one axis of a grid may have.
pub const MAX_VALUES: usize = 200;
/// The most cells one grid may have: each may be a thumbnail the browser fetches and draws, and the server
/// reads each cell's run for its result.
pub const MAX_CELLS: usize = 2_500;

/// One run's place in a sweep: its values of the two fields as text, and of the value field.
#[derive(Clone, Debug)]
pub struct Placed {
    pub run: RunId,
    pub name: String,
    pub status: Option<RunStatus>,
    pub x: Option<String>,
    pub y: Option<String>,
    pub value: Option<f64>,
}

/// Lays `runs` (newest first) out on the grid of their distinct x and y values; the newest run at a point hides
/// older ones. An error when an axis has more than [`MAX_VALUES`] values.
pub fn lay_out(
    (x, y): (&str, &str),
    runs: Vec<Placed>,
    (result, value): (Option<&str>, Option<&str>),
) -> Result<SweepGrid, String> {
    let matched = runs.len();
    let placed: Vec<(Placed, String, String)> = runs
        .into_iter()
        .filter_map(|r| {
            let (x, y) = (r.x.clone()?, r.y.clone()?);
            Some((r, x, y))
        })
        .collect();
    let skipped = matched - placed.len();
    let distinct = |pick: &dyn Fn(&(Placed, String, String)) -> &String, field: &str| {
        let mut values: Vec<String> = placed.iter().map(|p| pick(p).clone()).collect();
        values.sort_by(|a, b| value_order(Some(a.as_str()), Some(b.as_str())));
        values.dedup();
        if values.len() > MAX_VALUES {
            return Err(format!(
                "{field}: expected at most {MAX_VALUES} distinct values for one axis of a grid; found {}",
                values.len()
            ));
        }
        Ok(values)
    };
    let xs = distinct(&|p| &p.1, "x")?;
    let ys = distinct(&|p| &p.2, "y")?;
    if xs.len() * ys.len() > MAX_CELLS {
        return Err(format!(
            "expected at most {MAX_CELLS} cells in a grid; {} × {} values make {} (narrow the runs with q)",
            xs.len(),
            ys.len(),
            xs.len() * ys.len()
        ));
    }
    let mut cells: Vec<Option<SweepCell>> = vec![None; xs.len() * ys.len()];
    let mut hidden = 0;
    for (r, x, y) in placed {
        let (i, j) = (
            xs.iter().position(|v| *v == x).expect("a value of xs"),
            ys.iter().position(|v| *v == y).expect("a value of ys"),
        );
        let cell = &mut cells[j * xs.len() + i];
        if cell.is_some() {
            hidden += 1;
            continue;
        }
        *cell = Some(SweepCell {
            run: r.run,
            name: r.name,
            status: r.status,
            result: None,
            value: r.value,
        });
    }
    Ok(SweepGrid {
        x: x.to_owned(),
        y: y.to_owned(),
        result: result.map(str::to_owned),
        value: value.map(str::to_owned),
        xs,
        ys,
        cells,
        matched,
        skipped,
        hidden,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(a: &str, b: &str) -> Placed {
        Placed {
            run: RunId(uuid::Uuid::new_v4()),
            name: format!("a={a} b={b}"),
            status: Some(RunStatus::Completed),
            x: Some(a.into()),
            y: Some(b.into()),
            value: None,
        }
    }

    #[test]
    fn a_three_by_three_sweep_with_a_gap_and_a_rerun() {
        let mut runs = Vec::new();
        for a in ["10", "2", "1"] {
            for b in ["x", "y", "z"] {
                if (a, b) != ("2", "y") {
                    runs.push(placed(a, b));
                }
            }
        }
        // An older run at a point already taken (runs come newest first), and one without b.
        let older = placed("1", "x");
        runs.push(older.clone());
        runs.push(Placed {
            y: None,
            ..placed("1", "x")
        });
        let grid = lay_out(("meta.a", "meta.b"), runs, (Some("u"), None)).unwrap();
        assert_eq!(grid.xs, ["1", "2", "10"], "numbers in numeric order");
        assert_eq!(grid.ys, ["x", "y", "z"]);
        assert_eq!((grid.matched, grid.skipped, grid.hidden), (10, 1, 1));
        assert_eq!(grid.cells.iter().filter(|c| c.is_some()).count(), 8);
        assert!(grid.cell(1, 1).is_none(), "the missing point");
        assert_eq!(grid.cell(2, 0).unwrap().name, "a=10 b=x");
        assert_ne!(
            grid.cell(0, 0).unwrap().run,
            older.run,
            "the newest run at a point"
        );
    }

    #[test]
    fn too_many_values_on_an_axis_or_cells_are_refused() {
        let runs = (0..=MAX_VALUES)
            .map(|i| placed(&i.to_string(), "b"))
            .collect();
        let e = lay_out(("meta.a", "meta.b"), runs, (None, None)).unwrap_err();
        assert!(
            e.starts_with("x: expected at most 200 distinct values"),
            "{e}"
        );
    }
}
