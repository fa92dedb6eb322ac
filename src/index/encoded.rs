//! `/api/runs`'s whole listing encoded in time proportional to what changed (issue 19): each run's row is
//! encoded once, when first asked for, and kept with its entry (an entry is replaced, never changed, when its
//! run changes), so the JSON after a change is the rows joined; and the gzip copy is made of groups of
//! [`GROUP`] runs, each compressed on its own and kept until its runs change, so a change recompresses one
//! group. Groups are counted from the oldest run, so a new run (first in the list) changes only the first.
//!
//! A gzip body of independently compressed groups is one ordinary gzip member: each group's deflate output ends
//! with a sync flush (byte-aligned, not final), the concatenation closes with an empty final block, and the
//! CRC-32 of the whole is combined from the groups'.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;

use super::{Entry, Runs};
use crate::model::RunId;

/// How many runs' rows are compressed together: about 128 KB of JSON, which deflate's 32 KB window compresses
/// as well as the whole list.
pub const GROUP: usize = 256;

/// A run's row as `/api/runs` writes it, encoded on first use and shared by the entry's copies.
pub type Row = Arc<OnceLock<Bytes>>;

/// The row of `entry`, encoded now if it was not yet.
pub fn row(entry: &Entry) -> &Bytes {
    entry.row.get_or_init(|| {
        Bytes::from(serde_json::to_vec(&entry.summary).expect("run summaries serialize"))
    })
}

/// The rows of `ids` (those still in `runs`), as one JSON array: what `serde_json` makes of the summaries.
pub fn json(ids: &[RunId], runs: &Runs) -> Bytes {
    let rows: Vec<&Bytes> = ids.iter().filter_map(|id| runs.get(id)).map(row).collect();
    let mut out = Vec::with_capacity(rows.iter().map(|r| r.len() + 1).sum::<usize>() + 2);
    out.push(b'[');
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(r);
    }
    out.push(b']');
    Bytes::from(out)
}

/// Which rows a group holds — by the address of each entry's row, which the kept group holds on to, so that no
/// other row can take that address while the group is kept — and whether it opens or closes the array.
#[derive(Clone, PartialEq, Eq, Hash)]
struct GroupKey {
    rows: Vec<usize>,
    first: bool,
    last: bool,
}

/// A kept group: its rows (held so that their addresses stay theirs) and its compressed text.
type Kept = (Vec<Row>, Arc<Compressed>);

/// A group's text compressed on its own, with the CRC-32 and length of the text.
struct Compressed {
    deflate: Vec<u8>,
    crc: crc32fast::Hasher,
    len: usize,
}

/// The compressed groups of the last gzip listing made, kept for the next.
#[derive(Default)]
pub struct GzipGroups(std::sync::Mutex<HashMap<GroupKey, Kept>>);

impl GzipGroups {
    /// The rows of `ids` as a gzipped JSON array, compressing only the groups not compressed for the last one.
    pub fn gzip(&self, ids: &[RunId], runs: &Runs) -> Bytes {
        let entries: Vec<&Entry> = ids.iter().filter_map(|id| runs.get(id)).collect();
        let head = match entries.len() % GROUP {
            0 if !entries.is_empty() => GROUP,
            n => n,
        };
        let mut groups: Vec<&[&Entry]> = vec![&entries[..head]];
        groups.extend(entries[head..].chunks(GROUP));
        let count = groups.len();
        let kept = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        let mut now = HashMap::with_capacity(count);
        let mut parts = Vec::with_capacity(count);
        for (k, group) in groups.into_iter().enumerate() {
            let rows: Vec<Row> = group.iter().map(|e| e.row.clone()).collect();
            let key = GroupKey {
                rows: rows.iter().map(|r| Arc::as_ptr(r) as usize).collect(),
                first: k == 0,
                last: k + 1 == count,
            };
            let part = match kept.get(&key) {
                Some((_, part)) => part.clone(),
                None => Arc::new(compress(group, key.first, key.last)),
            };
            parts.push(part.clone());
            now.insert(key, (rows, part));
        }
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = now;

        let mut out = Vec::with_capacity(parts.iter().map(|p| p.deflate.len()).sum::<usize>() + 20);
        // A gzip header without a name or time.
        out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
        let mut crc = crc32fast::Hasher::new();
        let mut len = 0usize;
        for part in &parts {
            out.extend_from_slice(&part.deflate);
            crc.combine(&part.crc);
            len += part.len;
        }
        // An empty final block (fixed codes: the end-of-block symbol alone).
        out.extend_from_slice(&[0x03, 0x00]);
        out.extend_from_slice(&crc.finalize().to_le_bytes());
        out.extend_from_slice(&(len as u32).to_le_bytes());
        Bytes::from(out)
    }
}

/// One group's text — its rows joined, after `[` when it opens the array or `,` otherwise, and `]` when it
/// closes it — deflated and flushed to a byte boundary without ending the stream.
fn compress(group: &[&Entry], first: bool, last: bool) -> Compressed {
    let mut text = Vec::with_capacity(group.iter().map(|e| row(e).len() + 1).sum::<usize>() + 2);
    text.push(if first { b'[' } else { b',' });
    for (i, e) in group.iter().enumerate() {
        if i > 0 {
            text.push(b',');
        }
        text.extend_from_slice(row(e));
    }
    if last {
        text.push(b']');
    }
    let mut encoder = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(text.len() / 8 + 64),
        flate2::Compression::fast(),
    );
    encoder.write_all(&text).expect("writing to memory");
    // A sync flush: every byte of the text out, byte-aligned, the stream not ended.
    encoder.flush().expect("writing to memory");
    let deflate = std::mem::take(encoder.get_mut());
    let mut crc = crc32fast::Hasher::new();
    crc.update(&text);
    Compressed {
        deflate,
        crc,
        len: text.len(),
    }
}
