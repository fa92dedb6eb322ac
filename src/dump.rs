//! `asgard dump`: every run and result of a storage as the Rust reader sees them, as JSON, to compare with
//! another writer or reader (the Python client's tests do).

use serde_json::{json, Map, Value};

use crate::model::FieldValue;
use crate::storage::json::{to_text, value_of, NonFinite};
use crate::storage::AsgardStorage;

/// `{"runs": [run records], "results": {id: {…, "data": {field: {"shape", "dtype", "values"} or {"json":
/// value}}, "stats": {"type", statistic: value}}}}`, runs in no particular order (`stats`: those of the result
/// file, else computed from its fields as the monitor does); an unreadable file makes it fail, naming the file. NaN and
/// infinities are written as Python's `json` writes them, so that they read back as they are.
pub fn dump(storage: &AsgardStorage) -> anyhow::Result<String> {
    let mut runs = Vec::new();
    let mut results = Map::new();
    for id in storage.list_run_ids()? {
        let run = storage.read_run(id)?;
        for &rid in &run.results {
            let payload = storage.get_result(rid)?;
            let stats = storage.result_stats(rid)?;
            let data: Map<String, Value> = payload
                .fields
                .iter()
                .map(|(name, field)| {
                    let value = match field {
                        FieldValue::Array(a) => {
                            let values: Vec<Value> = a.values.iter().map(|v| value_of(*v)).collect();
                            json!({"shape": a.shape, "dtype": a.dtype, "values": values})
                        }
                        FieldValue::Json(text) => {
                            json!({"json": serde_json::from_str::<Value>(text).unwrap_or(Value::Null)})
                        }
                    };
                    (name.clone(), value)
                })
                .collect();
            results.insert(
                rid.to_string(),
                json!({
                    "run_id": payload.run_id,
                    "result_type": payload.result_type,
                    "timestamp": payload.timestamp,
                    "display": serde_json::from_str::<Value>(&payload.display_json).unwrap_or(Value::Null),
                    "data": data,
                    "stats": stats,
                }),
            );
        }
        runs.push(serde_json::to_value(&run)?);
    }
    let text = to_text(
        &json!({"runs": runs, "results": results}),
        NonFinite::Literal,
        false,
    );
    Ok(String::from_utf8(text)?)
}
