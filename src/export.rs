//! Result data as CSV, for download. Pure formatting: no I/O.

use std::fmt::Write;

use crate::model::{FieldInfo, FieldValue, NumArray, ResultPayload};
use crate::plots::ensemble::{Ensemble, EnsembleOptions};

/// The whole of one field as CSV: a 1-D array is one column; a 2-D array one line per row; higher dimensions
/// one line per innermost row, led by its index columns. Non-numeric fields are refused.
pub fn field_csv(payload: &ResultPayload, name: &str) -> Result<String, String> {
    let array = match payload.field(name) {
        Some(FieldValue::Array(a)) => a,
        Some(FieldValue::Json(_)) => {
            return Err(format!("field `{name}` is not numeric, so has no CSV form"))
        }
        None => return Err(format!("result has no field `{name}`")),
    };
    let mut out = String::new();
    match array.shape.as_slice() {
        [] => writeln!(
            out,
            "{name}\n{}",
            number(array.values.first().copied().unwrap_or(f64::NAN))
        ),
        [_] => {
            writeln!(out, "{name}").ok();
            array
                .values
                .iter()
                .try_for_each(|v| writeln!(out, "{}", number(*v)))
        }
        shape => write_nd(&mut out, array, shape),
    }
    .map_err(|e| e.to_string())?;
    Ok(out)
}

fn write_nd(out: &mut String, array: &NumArray, shape: &[usize]) -> std::fmt::Result {
    let (outer, inner) = shape.split_at(shape.len() - 1);
    let width = inner[0];
    let header: Vec<String> = (0..outer.len())
        .map(|d| format!("i{d}"))
        .chain((0..width).map(|j| format!("c{j}")))
        .collect();
    writeln!(out, "{}", header.join(","))?;
    for (row, values) in array.values.chunks(width.max(1)).enumerate() {
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
            .chain(values.iter().map(|v| number(*v)))
            .collect();
        writeln!(out, "{}", cells.join(","))?;
    }
    Ok(())
}

/// The 1-D numeric fields that share the first one's length, side by side (`x,computed,expected`).
pub fn columns_csv(payload: &ResultPayload) -> Result<String, String> {
    let columns: Vec<(&str, &NumArray)> = payload
        .fields
        .iter()
        .filter_map(|(n, v)| match v {
            FieldValue::Array(a) if a.shape.len() == 1 => Some((n.as_str(), a)),
            _ => None,
        })
        .collect();
    let Some((_, first)) = columns.first() else {
        return Err("this result has no 1-D numeric field; ask for one field with `field=`".into());
    };
    let len = first.len();
    let columns: Vec<_> = columns
        .into_iter()
        .filter(|(_, a)| a.len() == len)
        .collect();
    let mut out = columns
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(",");
    out.push('\n');
    for i in 0..len {
        let cells: Vec<String> = columns.iter().map(|(_, a)| number(a.values[i])).collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    Ok(out)
}

/// The columns `columns_csv` makes of a result, known from its fields' shapes without reading an array: the
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

    #[test]
    fn columns_side_by_side() {
        let p = payload(vec![
            ("x", vec![3], vec![0.0, 0.5, 1.0]),
            ("u", vec![3], vec![1.0, f64::NAN, 3.25]),
            ("m", vec![1, 3], vec![0.0; 3]),
        ]);
        assert_eq!(columns_csv(&p).unwrap(), "x,u\n0,1\n0.5,\n1,3.25\n");
    }

    #[test]
    fn matrices_and_higher_dimensions() {
        let p = payload(vec![
            ("m", vec![2, 2], vec![1.0, 2.0, 3.0, 4.0]),
            ("c", vec![2, 2, 2], (0..8).map(f64::from).collect()),
        ]);
        assert_eq!(field_csv(&p, "m").unwrap(), "i0,c0,c1\n0,1,2\n1,3,4\n");
        assert_eq!(
            field_csv(&p, "c").unwrap(),
            "i0,i1,c0,c1\n0,0,0,1\n0,1,2,3\n1,0,4,5\n1,1,6,7\n"
        );
        assert!(field_csv(&p, "nope")
            .unwrap_err()
            .contains("no field `nope`"));
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
