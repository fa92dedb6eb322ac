//! Result data as CSV, for download: formatting only, written to any `Write` a block of values at a time as a
//! download reads its arrays (`storage::download`).

use std::fmt::Write;

use crate::model::{FieldInfo, FieldValue, NumArray, ResultPayload};
use crate::plots::ensemble::{Ensemble, EnsembleOptions};

/// The next block of a field's values in row-major order; empty at the end. A download reads its arrays a
/// block at a time, so the CSV is written as they are read.
pub type NextBlock<'a> = Box<dyn FnMut() -> std::io::Result<Vec<f64>> + 'a>;

/// The whole of one numeric field of shape `shape` as CSV: a 1-D array is one column; a 2-D array one line per
/// row; higher dimensions one line per innermost row, led by its index columns.
pub fn write_field_csv(
    name: &str,
    shape: &[usize],
    mut next: NextBlock<'_>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut line = String::new();
    match shape {
        [] => {
            let value = next()?.first().copied().unwrap_or(f64::NAN);
            writeln!(line, "{name}\n{}", number(value)).ok();
            out.write_all(line.as_bytes())
        }
        [_] => {
            writeln!(line, "{name}").ok();
            loop {
                let block = next()?;
                if block.is_empty() {
                    return out.write_all(line.as_bytes());
                }
                for v in block {
                    writeln!(line, "{}", number(v)).ok();
                }
                out.write_all(line.as_bytes())?;
                line.clear();
            }
        }
        shape => write_nd(shape, next, out),
    }
}

fn write_nd(
    shape: &[usize],
    mut next: NextBlock<'_>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let (outer, inner) = shape.split_at(shape.len() - 1);
    let width = inner[0].max(1);
    let header: Vec<String> = (0..outer.len())
        .map(|d| format!("i{d}"))
        .chain((0..inner[0]).map(|j| format!("c{j}")))
        .collect();
    let mut text = header.join(",");
    text.push('\n');
    // The values of the row being written, which may span blocks.
    let mut row_values: Vec<f64> = Vec::with_capacity(width);
    let mut row = 0usize;
    loop {
        let block = next()?;
        if block.is_empty() {
            return out.write_all(text.as_bytes());
        }
        for v in block {
            row_values.push(v);
            if row_values.len() < width {
                continue;
            }
            let mut index = Vec::with_capacity(outer.len());
            let mut rest = row;
            for size in outer.iter().rev() {
                index.push(rest % size.max(&1));
                rest /= size.max(&1);
            }
            index.reverse();
            let cells: Vec<String> = index
                .iter()
                .map(ToString::to_string)
                .chain(row_values.iter().map(|v| number(*v)))
                .collect();
            text.push_str(&cells.join(","));
            text.push('\n');
            row_values.clear();
            row += 1;
        }
        out.write_all(text.as_bytes())?;
        text.clear();
    }
}

/// 1-D fields of one length side by side (`x,computed,expected`), one line per index.
pub fn write_columns_csv(
    columns: Vec<(&str, NextBlock<'_>)>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut text = columns
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(",");
    text.push('\n');
    let mut sources: Vec<(NextBlock<'_>, Vec<f64>, usize)> = columns
        .into_iter()
        .map(|(_, next)| (next, Vec::new(), 0))
        .collect();
    'rows: loop {
        let mut cells = Vec::with_capacity(sources.len());
        for (next, block, at) in &mut sources {
            if *at == block.len() {
                *block = next()?;
                *at = 0;
                if block.is_empty() {
                    break 'rows;
                }
            }
            cells.push(number(block[*at]));
            *at += 1;
        }
        text.push_str(&cells.join(","));
        text.push('\n');
        if text.len() >= 1 << 16 {
            out.write_all(text.as_bytes())?;
            text.clear();
        }
    }
    out.write_all(text.as_bytes())
}

/// The columns a result's CSV has (`Download::write_csv`), known from its fields' shapes without reading an array: the
/// 1-D numeric fields that share the first one's length.
pub fn column_names(fields: &[FieldInfo]) -> Vec<String> {
    let one_d = || {
        fields
            .iter()
            .filter(|f| f.shape.len() == 1 && f.dtype != "json")
    };
    let Some(len) = one_d().next().map(|f| f.shape[0]) else {
        return Vec::new();
    };
    one_d()
        .filter(|f| f.shape[0] == len)
        .map(|f| f.name.clone())
        .collect()
}

/// The result's rows under the header `names` (a column the result lacks is empty), each led by `lead` (text
/// already CSV-formatted, such as `run,label,`): several runs' results in one table.
pub fn rows_under(payload: &ResultPayload, names: &[String], lead: &str, out: &mut String) {
    let columns: Vec<Option<&NumArray>> = names
        .iter()
        .map(|n| match payload.field(n) {
            Some(FieldValue::Array(a)) if a.shape.len() == 1 => Some(a),
            _ => None,
        })
        .collect();
    let len = columns.iter().flatten().map(|a| a.len()).max().unwrap_or(0);
    for i in 0..len {
        out.push_str(lead);
        for (k, column) in columns.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            if let Some(v) = column.and_then(|a| a.values.get(i)) {
                out.push_str(&number(*v));
            }
        }
        out.push('\n');
    }
}

/// The columns of an ensemble's table ([`ensemble_statistics`]).
pub const ENSEMBLE_COLUMNS: [&str; 4] = ["t", "mean", "lower", "upper"];

/// A `StochasticEnsemble` as the 1-D columns its overlay draws: at every time, the mean over every path and the
/// central confidence band (the display's `confidence`, 95 % by default).
pub fn ensemble_statistics(payload: &ResultPayload) -> Result<ResultPayload, String> {
    let data = Ensemble::from_payload(payload)?;
    let options: EnsembleOptions = serde_json::from_str(&payload.display_json).unwrap_or_default();
    let band = data.band(options.confidence);
    let column = |values: Vec<f64>| {
        FieldValue::Array(NumArray {
            shape: vec![values.len()],
            dtype: "<f8".into(),
            values,
        })
    };
    let [t, mean, lower, upper] = ENSEMBLE_COLUMNS.map(String::from);
    Ok(ResultPayload {
        fields: vec![
            (t, column(data.t)),
            (mean, column(band.mean)),
            (lower, column(band.lower)),
            (upper, column(band.upper)),
        ],
        id: payload.id,
        run_id: payload.run_id,
        result_type: payload.result_type.clone(),
        timestamp: payload.timestamp.clone(),
        display_json: payload.display_json.clone(),
    })
}

/// `text` as one CSV cell: quoted when it holds a comma, a quote or a line break.
pub fn cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// Shortest exact form; empty for NaN (so spreadsheets see a gap), `inf`/`-inf` for infinities.
fn number(v: f64) -> String {
    if v.is_nan() {
        String::new()
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ResultId, RunId};

    fn payload(fields: Vec<(&str, Vec<usize>, Vec<f64>)>) -> ResultPayload {
        ResultPayload {
            id: ResultId(uuid::Uuid::nil()),
            run_id: RunId(uuid::Uuid::nil()),
            result_type: "T".into(),
            timestamp: String::new(),
            display_json: "{}".into(),
            fields: fields
                .into_iter()
                .map(|(n, shape, values)| {
                    (
                        n.to_owned(),
                        FieldValue::Array(NumArray {
                            shape,
                            dtype: "<f8".into(),
                            values,
                        }),
                    )
                })
                .collect(),
        }
    }

    /// `values` given `per` at a time.
    fn blocks(values: Vec<f64>, per: usize) -> NextBlock<'static> {
        let mut left = values.into_iter();
        Box::new(move || Ok(left.by_ref().take(per).collect()))
    }

    fn text(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
        let mut out = Vec::new();
        write(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn columns_side_by_side_across_blocks() {
        for per in [1, 2, 5] {
            let columns = vec![
                ("x", blocks(vec![0.0, 0.5, 1.0], per)),
                ("u", blocks(vec![1.0, f64::NAN, 3.25], 2)),
            ];
            assert_eq!(
                text(|out| write_columns_csv(columns, out)),
                "x,u\n0,1\n0.5,\n1,3.25\n"
            );
        }
    }

    #[test]
    fn matrices_and_higher_dimensions_across_blocks() {
        for per in [1, 3, 100] {
            let m = blocks(vec![1.0, 2.0, 3.0, 4.0], per);
            assert_eq!(
                text(|out| write_field_csv("m", &[2, 2], m, out)),
                "i0,c0,c1\n0,1,2\n1,3,4\n"
            );
            let c = blocks((0..8).map(f64::from).collect(), per);
            assert_eq!(
                text(|out| write_field_csv("c", &[2, 2, 2], c, out)),
                "i0,i1,c0,c1\n0,0,0,1\n0,1,2,3\n1,0,4,5\n1,1,6,7\n"
            );
            let v = blocks(vec![1.5, f64::NAN, -2.0], per);
            assert_eq!(
                text(|out| write_field_csv("v", &[3], v, out)),
                "v\n1.5\n\n-2\n"
            );
        }
        assert_eq!(
            text(|out| write_field_csv("s", &[], blocks(vec![7.0], 1), out)),
            "s\n7\n"
        );
    }

    #[test]
    fn several_results_under_one_header() {
        use crate::model::FieldStorage;
        let info = |name: &str, shape: Vec<u64>, dtype: &str| FieldInfo {
            name: name.into(),
            shape,
            dtype: dtype.into(),
            storage: FieldStorage::Inline,
        };
        let names = column_names(&[
            info("x", vec![3], "<f8"),
            info("computed", vec![3], "<f8"),
            info("grid", vec![3, 3], "<f8"),
            info("note", vec![3], "json"),
            info("short", vec![2], "<i4"),
        ]);
        assert_eq!(names, ["x", "computed"]);

        let names: Vec<String> = ["x", "u", "expected"].map(String::from).to_vec();
        let p = payload(vec![
            ("x", vec![2], vec![0.0, 1.0]),
            ("u", vec![2], vec![f64::NAN, 2.5]),
        ]);
        let mut out = String::new();
        rows_under(
            &p,
            &names,
            &format!("a,{},", cell("dt=1, s=\"rk4\"")),
            &mut out,
        );
        assert_eq!(
            out,
            "a,\"dt=1, s=\"\"rk4\"\"\",0,,\na,\"dt=1, s=\"\"rk4\"\"\",1,2.5,\n"
        );
    }
}
