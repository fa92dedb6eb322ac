//! The `.npy` header, read and checked before any element is: a forged header (a shape larger than the file,
//! negative or overflowing sizes, an element type we cannot read) is refused with a message instead of making
//! the reader allocate what the header claims.

/// What a `.npy` header says, checked against the length of its file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NpyHeader {
    /// The element type, e.g. `<f8`.
    pub descr: String,
    pub fortran_order: bool,
    pub shape: Vec<usize>,
    /// Where the data starts.
    pub data_offset: usize,
}

/// Element types the monitor reads, with their sizes in bytes.
const READABLE: [(&str, usize); 7] = [
    ("<f8", 8),
    ("<f4", 4),
    ("<i8", 8),
    ("<i4", 4),
    ("<u4", 4),
    ("|u1", 1),
    ("|b1", 1),
];

/// The longest header read: NumPy itself refuses headers over 10 kB unless told otherwise.
const MAX_HEADER: usize = 64 * 1024;

impl NpyHeader {
    /// Parses the header at the start of `bytes` (at least the first `MAX_HEADER` bytes of the file, or all of
    /// it) and checks that the data it announces is exactly the `file_len - data_offset` bytes that follow.
    pub fn parse(bytes: &[u8], file_len: u64) -> Result<Self, String> {
        if file_len == 0 {
            return Err("the file is empty (0 bytes)".into());
        }
        if !bytes.starts_with(b"\x93NUMPY") || bytes.len() < 10 {
            return Err("not a .npy file (no \\x93NUMPY magic)".into());
        }
        let (len, start) = match bytes[6] {
            1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
            2 | 3 if bytes.len() >= 12 => (
                u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
                12,
            ),
            v => return Err(format!("unsupported .npy format version {v}")),
        };
        if len > MAX_HEADER || start + len > bytes.len() {
            return Err(format!(
                "the header claims {len} bytes, more than the file holds or {MAX_HEADER} bytes"
            ));
        }
        let text = std::str::from_utf8(&bytes[start..start + len])
            .map_err(|_| "the header is not text".to_owned())?;
        let descr = quoted_value(text, "descr")?;
        let fortran_order = match raw_value(text, "fortran_order")? {
            v if v.starts_with("True") => true,
            v if v.starts_with("False") => false,
            v => {
                return Err(format!(
                    "`fortran_order` must be True or False, found {v:.20}"
                ))
            }
        };
        let shape = shape(raw_value(text, "shape")?)?;
        let size = match READABLE.iter().find(|(d, _)| *d == descr) {
            Some((_, size)) => *size,
            None => return Err(unreadable(&descr)),
        };
        let data_offset = start + len;
        let elements = shape
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d))
            .ok_or_else(|| format!("the shape {shape:?} overflows"))?;
        let needed = elements
            .checked_mul(size)
            .ok_or_else(|| format!("the shape {shape:?} overflows"))?;
        let available = file_len.saturating_sub(data_offset as u64);
        if needed as u64 != available {
            return Err(format!(
                "the header's shape {shape:?} of {descr} needs {needed} bytes of data, the file holds {available}"
            ));
        }
        Ok(Self {
            descr,
            fortran_order,
            shape,
            data_offset,
        })
    }
}

fn unreadable(descr: &str) -> String {
    let why = if descr.contains('O') {
        " (object arrays are never read: they hold pickled Python objects)"
    } else if descr.starts_with('>') {
        " (big-endian data; save it little-endian, e.g. with `a.astype('<f8')`)"
    } else {
        ""
    };
    format!("expected a dtype of f8, f4, i8, i4, u4, u1 or bool, found {descr}{why}")
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

/// Reads at most the first `MAX_HEADER` bytes of `file`, for [`NpyHeader::parse`].
pub fn read_header_bytes(file: &mut std::fs::File) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut head = Vec::with_capacity(4096);
    file.by_ref()
        .take((MAX_HEADER + 12) as u64)
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
        NpyHeader::parse(&bytes, len)
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
            ("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", 16, "found <c16"),
            ("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", 16, "big-endian"),
            ("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", 16, "object arrays"),
            ("{'descr': '<f8', 'shape': (2,), }", 16, "no `fortran_order`"),
            ("{'descr': '<f8', 'fortran_order': False, 'shape': 2, }", 16, "not a tuple"),
        ];
        for (header, data, message) in cases {
            let error = check(header, data).unwrap_err();
            assert!(error.contains(message), "{header}: {error}");
        }
        assert!(NpyHeader::parse(b"", 0).unwrap_err().contains("empty"));
        assert!(NpyHeader::parse(b"PK\x03\x04zipfile", 13)
            .unwrap_err()
            .contains("magic"));
        let mut long = b"\x93NUMPY\x01\x00".to_vec();
        long.extend(60_000u16.to_le_bytes());
        assert!(NpyHeader::parse(&long, 1 << 40)
            .unwrap_err()
            .contains("claims 60000 bytes"));
    }
}
