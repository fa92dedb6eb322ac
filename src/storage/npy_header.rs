//! The `.npy` header, read and checked before any element is: a forged header (a shape larger than the file,
//! negative or overflowing sizes, an element type we cannot read) is refused with a message instead of making
//! the reader allocate what the header claims.

/// What a `.npy` header says, checked against the length of its file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NpyHeader {
    /// The element type as written, e.g. `<f8`.
    pub descr: String,
    /// The element type as read.
    pub element: Element,
    pub fortran_order: bool,
    pub shape: Vec<usize>,
    /// Where the data starts.
    pub data_offset: usize,
}

/// Why a `.npy` file cannot be read: it is damaged, or it is sound but holds elements the monitor does not
/// draw (complex numbers, text, objects).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NpyError {
    #[error("{0}")]
    Damaged(String),
    #[error("{0}")]
    Unsupported(String),
}

impl From<String> for NpyError {
    fn from(message: String) -> Self {
        Self::Damaged(message)
    }
}

/// What an element is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Float,
    Int,
    Unsigned,
    Bool,
}

/// A numeric element type NumPy writes: `f2`, `f4`, `f8`, `i1`–`i8`, `u1`–`u8` or `b1`, in either byte order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Element {
    pub kind: Kind,
    /// Bytes per element.
    pub size: usize,
    pub big_endian: bool,
}

/// The element types read, for messages.
pub const READABLE: &str =
    "f2, f4, f8, i1, i2, i4, i8, u1, u2, u4, u8 or bool, in either byte order";

impl Element {
    /// Parses a NumPy type string (`<f8`, `>i2`, `|u1`, `|b1`); anything else is refused with a message that
    /// says what was found and what to do instead.
    pub fn parse(descr: &str) -> Result<Self, String> {
        let mut chars = descr.chars();
        let big_endian = match chars.next() {
            Some('<' | '|' | '=') => false,
            Some('>') => true,
            _ => return Err(unreadable(descr)),
        };
        let rest = chars.as_str();
        let (kind, size) = rest.split_at(rest.len().min(1));
        let kind = match kind {
            "f" => Kind::Float,
            "i" => Kind::Int,
            "u" => Kind::Unsigned,
            "b" => Kind::Bool,
            _ => return Err(unreadable(descr)),
        };
        let size: usize = size.parse().map_err(|_| unreadable(descr))?;
        let known = match kind {
            Kind::Float => matches!(size, 2 | 4 | 8),
            Kind::Int | Kind::Unsigned => matches!(size, 1 | 2 | 4 | 8),
            Kind::Bool => size == 1,
        };
        if !known {
            return Err(unreadable(descr));
        }
        Ok(Self {
            kind,
            size,
            big_endian: big_endian && size > 1,
        })
    }
}

/// The longest header read: NumPy itself refuses headers over 10 kB unless told otherwise.
const MAX_HEADER: usize = 64 * 1024;

impl NpyHeader {
    /// Parses the header at the start of `bytes` (at least the first `MAX_HEADER` bytes of the file, or all of
    /// it) and checks that the data it announces is exactly the `file_len - data_offset` bytes that follow.
    pub fn parse(bytes: &[u8], file_len: u64) -> Result<Self, NpyError> {
        if file_len == 0 {
            return Err(NpyError::Damaged("the file is empty (0 bytes)".into()));
        }
        if !bytes.starts_with(b"\x93NUMPY") || bytes.len() < 10 {
            return Err(NpyError::Damaged(
                "not a .npy file (no \\x93NUMPY magic)".into(),
            ));
        }
        let (len, start) = match bytes[6] {
            1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
            2 | 3 if bytes.len() >= 12 => (
                u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
                12,
            ),
            v => return Err(format!("unsupported .npy format version {v}").into()),
        };
        if len > MAX_HEADER || start + len > bytes.len() {
            return Err(format!(
                "the header claims {len} bytes, more than the file holds or {MAX_HEADER} bytes"
            )
            .into());
        }
        let text = std::str::from_utf8(&bytes[start..start + len])
            .map_err(|_| "the header is not text".to_owned())?;
        if raw_value(text, "descr")?.starts_with('[') {
            return Err(NpyError::Unsupported(
                "a structured array (named columns) cannot be drawn: save each column as a field of its own"
                    .into(),
            ));
        }
        let descr = quoted_value(text, "descr")?;
        let fortran_order = match raw_value(text, "fortran_order")? {
            v if v.starts_with("True") => true,
            v if v.starts_with("False") => false,
            v => {
                return Err(format!("`fortran_order` must be True or False, found {v:.20}").into())
            }
        };
        let shape = shape(raw_value(text, "shape")?)?;
        let element = Element::parse(&descr).map_err(NpyError::Unsupported)?;
        let data_offset = start + len;
        let elements = shape
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d))
            .ok_or_else(|| format!("the shape {shape:?} overflows"))?;
        let needed = elements
            .checked_mul(element.size)
            .ok_or_else(|| format!("the shape {shape:?} overflows"))?;
        let available = file_len.saturating_sub(data_offset as u64);
        if needed as u64 != available {
            return Err(format!(
                "the header's shape {shape:?} of {descr} needs {needed} bytes of data, the file holds {available}"
            )
            .into());
        }
        Ok(Self {
            descr,
            element,
            fortran_order,
            shape,
            data_offset,
        })
    }
}

fn unreadable(descr: &str) -> String {
    let body = descr.trim_start_matches(['<', '>', '|', '=']);
    let why = match body.chars().next() {
        Some('c') => {
            " (complex numbers: the monitor draws real numbers; save the magnitude `np.abs(z)`, or \
                       the parts `z.real` and `z.imag`, as fields of their own)"
        }
        Some('O') => " (object arrays are never read: they hold pickled Python objects)",
        Some('U' | 'S' | 'a') => " (text: store labels inline as a JSON list of strings)",
        Some('M' | 'm') => " (dates or durations: store them as numbers, e.g. seconds)",
        Some('f') => " (extended precision: convert it with `a.astype('f8')`)",
        Some('V') => " (raw bytes or records: save each column as a field of its own)",
        _ => "",
    };
    format!("expected a dtype of {READABLE}, found {descr}{why}")
}

/// The text after `'key':` in the header dictionary.
fn raw_value<'a>(text: &'a str, key: &str) -> Result<&'a str, String> {
    let quoted = [format!("'{key}'"), format!("\"{key}\"")];
    let at = quoted
        .iter()
        .find_map(|k| text.find(k.as_str()).map(|i| i + k.len()))
        .ok_or_else(|| format!("the header has no `{key}`"))?;
    let rest = text[at..].trim_start();
    rest.strip_prefix(':')
        .map(str::trim_start)
        .ok_or_else(|| format!("the header's `{key}` has no value"))
}

fn quoted_value(text: &str, key: &str) -> Result<String, String> {
    let value = raw_value(text, key)?;
    let quote = value
        .chars()
        .next()
        .filter(|c| *c == '\'' || *c == '"')
        .ok_or_else(|| format!("the header's `{key}` is not a string"))?;
    let inner = &value[1..];
    let end = inner
        .find(quote)
        .ok_or_else(|| format!("the header's `{key}` is not closed"))?;
    Ok(inner[..end].to_owned())
}

/// `(3, 4)`, `(5,)` or `()`; every dimension a non-negative integer.
fn shape(value: &str) -> Result<Vec<usize>, String> {
    let inner = value
        .strip_prefix('(')
        .and_then(|v| v.split_once(')'))
        .map(|(inner, _)| inner)
        .ok_or_else(|| "the header's `shape` is not a tuple".to_owned())?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            d.trim_end_matches('L')
                .parse::<usize>()
                .map_err(|_| format!("the header's shape has the dimension `{d:.20}`: expected a whole number, 0 or more"))
        })
        .collect()
}

/// Reads the start of `file` up to the end of its header (as its length field says, at most `MAX_HEADER`
/// bytes), for [`NpyHeader::parse`]: a large array's data is not read to check its header.
pub fn read_header_bytes(file: &mut std::fs::File) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut head = Vec::with_capacity(256);
    file.by_ref().take(12).read_to_end(&mut head)?;
    let claimed = match head.get(6) {
        Some(1) if head.len() >= 10 => {
            usize::from(u16::from_le_bytes([head[8], head[9]])).saturating_sub(2)
        }
        Some(2 | 3) if head.len() >= 12 => {
            u32::from_le_bytes([head[8], head[9], head[10], head[11]]) as usize
        }
        _ => return Ok(head),
    };
    file.by_ref()
        .take(claimed.min(MAX_HEADER + 12) as u64)
        .read_to_end(&mut head)?;
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(header: &str, data_len: usize) -> (Vec<u8>, u64) {
        let mut h = header.to_owned();
        while !(10 + h.len() + 1).is_multiple_of(64) {
            h.push(' ');
        }
        h.push('\n');
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend((h.len() as u16).to_le_bytes());
        bytes.extend(h.as_bytes());
        let len = (bytes.len() + data_len) as u64;
        (bytes, len)
    }

    fn check(header: &str, data_len: usize) -> Result<NpyHeader, String> {
        let (bytes, len) = npy(header, data_len);
        NpyHeader::parse(&bytes, len).map_err(|e| e.to_string())
    }

    #[test]
    fn a_well_formed_header_is_read() {
        let h = check(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }",
            96,
        )
        .unwrap();
        assert_eq!(h.descr, "<f8");
        assert!(!h.fortran_order);
        assert_eq!(h.shape, vec![3, 4]);
        assert_eq!(h.data_offset, 128);
        let scalar = check("{'descr': '|b1', 'fortran_order': True, 'shape': (), }", 1).unwrap();
        assert_eq!(scalar.shape, Vec::<usize>::new());
        assert!(scalar.fortran_order);
        assert_eq!(
            check(
                "{'descr': '<i4', 'fortran_order': False, 'shape': (5,), }",
                20
            )
            .unwrap()
            .shape,
            vec![5]
        );
    }

    #[test]
    fn forged_headers_are_refused_before_anything_is_allocated() {
        let cases = [
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }", 16, "needs 8000000000000 bytes of data, the file holds 16"),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (-5,), }", 0, "dimension `-5`"),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }", 8, "overflows"),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 16, "needs 24 bytes of data, the file holds 16"),
            ("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", 16, "found <c16 (complex numbers"),
            ("{'descr': '>f8', 'fortran_order': False, 'shape': (3,), }", 16, "needs 24 bytes"),
            ("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", 16, "object arrays"),
            ("{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }", 24, "text"),
            ("{'descr': '<M8[ns]', 'fortran_order': False, 'shape': (2,), }", 16, "dates"),
            ("{'descr': '<f16', 'fortran_order': False, 'shape': (1,), }", 16, "extended precision"),
            ("{'descr': '<i3', 'fortran_order': False, 'shape': (1,), }", 3, "found <i3"),
            ("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }", 8, "structured"),
            ("{'descr': '<f8', 'shape': (2,), }", 16, "no `fortran_order`"),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': 2, }", 16, "not a tuple"),
        ];
        for (header, data, message) in cases {
            let error = check(header, data).unwrap_err();
            assert!(error.contains(message), "{header}: {error}");
        }
        let refused = |bytes: &[u8], len| NpyHeader::parse(bytes, len).unwrap_err().to_string();
        assert!(refused(b"", 0).contains("empty"));
        assert!(refused(b"PK\x03\x04zipfile", 13).contains("magic"));
        let mut long = b"\x93NUMPY\x01\x00".to_vec();
        long.extend(60_000u16.to_le_bytes());
        assert!(refused(&long, 1 << 40).contains("claims 60000 bytes"));
    }

    #[test]
    fn every_numeric_dtype_numpy_writes_is_read_in_either_byte_order() {
        for (descr, kind, size, big) in [
            ("<f2", Kind::Float, 2, false),
            (">f4", Kind::Float, 4, true),
            (">f8", Kind::Float, 8, true),
            ("|i1", Kind::Int, 1, false),
            (">i2", Kind::Int, 2, true),
            ("<i8", Kind::Int, 8, false),
            ("|u1", Kind::Unsigned, 1, false),
            ("<u2", Kind::Unsigned, 2, false),
            (">u8", Kind::Unsigned, 8, true),
            ("|b1", Kind::Bool, 1, false),
        ] {
            let header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (3,), }}");
            let h = check(&header, 3 * size).unwrap_or_else(|e| panic!("{descr}: {e}"));
            assert_eq!(
                h.element,
                Element {
                    kind,
                    size,
                    big_endian: big
                },
                "{descr}"
            );
        }
    }

    #[test]
    fn sound_files_of_other_types_are_unsupported_not_damaged() {
        let (bytes, len) = npy(
            "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }",
            16,
        );
        assert!(matches!(
            NpyHeader::parse(&bytes, len),
            Err(NpyError::Unsupported(_))
        ));
        let (bytes, len) = npy(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (9,), }",
            16,
        );
        assert!(matches!(
            NpyHeader::parse(&bytes, len),
            Err(NpyError::Damaged(_))
        ));
    }
}
