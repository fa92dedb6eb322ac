//! Field access: a result's numeric fields as the vectors and matrices a plot reads, with an error that names
//! the field and says what was expected when a field has the wrong shape. The bottom layer of `plots`.

use crate::model::{FieldValue, ResultPayload};

/// What reading data for a plot returns: an error says what is wrong with the data.
pub type FieldResult<T> = Result<T, String>;

/// A 1-D numeric field, if present.
pub fn vector(payload: &ResultPayload, name: &str) -> FieldResult<Option<Vec<f64>>> {
    Ok(vector_ref(payload, name)?.map(<[f64]>::to_vec))
}

/// Like [`vector`], borrowing the values from the payload (the server reducing a long series reads it where it
/// is kept).
pub fn vector_ref<'a>(payload: &'a ResultPayload, name: &str) -> FieldResult<Option<&'a [f64]>> {
    vector_shape(payload, name, 1)?;
    Ok(payload.array(name).map(|a| a.values.as_slice()))
}

/// A 2-D numeric field as (rows, columns, row-major values), if present.
pub fn matrix(
    payload: &ResultPayload,
    name: &str,
) -> FieldResult<Option<(usize, usize, Vec<f64>)>> {
    Ok(matrix_ref(payload, name)?.map(|(rows, columns, v)| (rows, columns, v.to_vec())))
}

/// Like [`matrix`], borrowing the values from the payload.
pub fn matrix_ref<'a>(
    payload: &'a ResultPayload,
    name: &str,
) -> FieldResult<Option<(usize, usize, &'a [f64])>> {
    let Some(shape) = vector_shape(payload, name, 2)? else {
        return Ok(None);
    };
    Ok(payload
        .array(name)
        .map(|a| (shape[0], shape[1], a.values.as_slice())))
}

/// The row numbers 0, 1, … n − 1: the x axis of a series given without one.
pub fn row_numbers(n: usize) -> Vec<f64> {
    (0..n).map(|i| i as f64).collect()
}

/// Like [`matrix`], moving the values out of the payload instead of copying.
pub fn take_matrix(
    payload: &mut ResultPayload,
    name: &str,
) -> FieldResult<Option<(usize, usize, Vec<f64>)>> {
    let Some(shape) = vector_shape(payload, name, 2)? else {
        return Ok(None);
    };
    Ok(take_values(payload, name).map(|v| (shape[0], shape[1], v)))
}

/// A numeric field's shape, checked to have `dims` dimensions; `None` when the field is absent.
fn vector_shape(
    payload: &ResultPayload,
    name: &str,
    dims: usize,
) -> FieldResult<Option<Vec<usize>>> {
    match payload.field(name) {
        None => Ok(None),
        Some(FieldValue::Array(a)) if a.shape.len() == dims => Ok(Some(a.shape.clone())),
        Some(FieldValue::Array(a)) => Err(format!(
            "field `{name}`: expected a {dims}-D array, found shape {:?}",
            a.shape
        )),
        Some(_) => Err(format!("field `{name}`: expected numbers")),
    }
}

fn take_values(payload: &mut ResultPayload, name: &str) -> Option<Vec<f64>> {
    payload.fields.iter_mut().find_map(|(n, v)| match v {
        FieldValue::Array(a) if n == name => Some(std::mem::take(&mut a.values)),
        _ => None,
    })
}

/// Checks that an optional field has `len` values like the field it goes with.
pub fn check_len(name: &str, values: Option<&[f64]>, len: usize, like: &str) -> FieldResult<()> {
    match values {
        Some(v) if v.len() != len => Err(format!(
            "field `{name}`: expected {len} values like `{like}`, found {}",
            v.len()
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plots::tests::payload;

    #[test]
    fn wrong_shapes_name_the_field_and_what_was_expected() {
        let p = payload(
            "X",
            &[
                ("grid", vec![2, 2], vec![0.0; 4]),
                ("line", vec![3], vec![0.0; 3]),
            ],
            "{}",
        );
        assert_eq!(
            vector(&p, "grid").unwrap_err(),
            "field `grid`: expected a 1-D array, found shape [2, 2]"
        );
        assert_eq!(
            matrix(&p, "line").unwrap_err(),
            "field `line`: expected a 2-D array, found shape [3]"
        );
        assert_eq!(matrix(&p, "grid").unwrap(), Some((2, 2, vec![0.0; 4])));
        assert_eq!(vector(&p, "absent").unwrap(), None);
    }
}
