//! `/api/runs`'s whole listing encoded in time proportional to what changed (issue 19): each run's row is
//! encoded once, when first asked for, and kept with its entry (an entry is replaced, never changed, when its
//! run changes); the listing is made of groups of [`GROUP`] runs, each group's text kept until its runs change
//! — the plain body is the texts sent one after the other, never joined — and compressed on its own when a
//! gzip listing first asks, so a change re-makes and recompresses one group. Groups are counted from the
//! oldest run, so a new run (first in the list) changes only the first.
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

/// Which rows a group holds — by the address of each entry's row, which the kept group holds on to, so that no
/// other row can take that address while the group is kept — and whether it opens or closes the array.
#[derive(Clone, PartialEq, Eq, Hash)]
struct GroupKey {
    rows: Vec<usize>,
    first: bool,
    last: bool,
}

/// A kept group: its rows (held so that their addresses stay theirs) and the group.
type Kept = (Vec<Row>, Arc<Group>);

/// The rows of up to [`GROUP`] runs as they stand in the listing's JSON — after `[` when the group opens the
/// array or `,` otherwise, and with `]` when it closes it — and that text deflated on its own, made when a gzip
/// listing first needs it.
pub struct Group {
    text: Bytes,
    deflated: OnceLock<Compressed>,
}

/// A group's text compressed on its own, with the CRC-32 and length of the text.
struct Compressed {
    deflate: Vec<u8>,
    crc: crc32fast::Hasher,
    len: usize,
}

/// The groups of the last listing made, kept for the next.
#[derive(Default)]
pub struct Groups(std::sync::Mutex<HashMap<GroupKey, Kept>>);

impl Groups {
    /// The groups of the rows of `ids` (those still in `runs`), in order, making only those not made for the
    /// last listing: the plain listing is their texts one after the other, the gzip one [`gzip`] of them.
    pub fn of(&self, ids: &[RunId], runs: &Runs) -> Vec<Arc<Group>> {
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
        let mut made = Vec::with_capacity(count);
        for (k, entries) in groups.into_iter().enumerate() {
            let rows: Vec<Row> = entries.iter().map(|e| e.row.clone()).collect();
            let key = GroupKey {
                rows: rows.iter().map(|r| Arc::as_ptr(r) as usize).collect(),
                first: k == 0,
                last: k + 1 == count,
            };
            let group = match kept.get(&key) {
                Some((_, group)) => group.clone(),
                None => Arc::new(Group {
                    text: text(entries, key.first, key.last),
                    deflated: OnceLock::new(),
                }),
            };
            made.push(group.clone());
            now.insert(key, (rows, group));
        }
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = now;
        made
    }
}

/// A listing's body, as the pieces it is sent in one after the other.
#[derive(Clone, Debug)]
pub struct Body(pub Arc<[Bytes]>);

impl Body {
    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.0.iter().map(Bytes::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The pieces joined.
    pub fn to_vec(&self) -> Vec<u8> {
        self.0.concat()
    }
}

/// The texts of `groups`: the plain listing, as the pieces of its body (never joined).
pub fn json(groups: &[Arc<Group>]) -> Body {
    Body(groups.iter().map(|g| g.text.clone()).collect())
}

/// `groups` as one gzip member, compressing the groups not compressed before.
pub fn gzip(groups: &[Arc<Group>]) -> Body {
    let parts: Vec<&Compressed> = groups
        .iter()
        .map(|g| g.deflated.get_or_init(|| compress(&g.text)))
        .collect();
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
    Body(Arc::new([Bytes::from(out)]))
}

/// A group's text: its rows joined, after `[` when it opens the array or `,` otherwise, and `]` when it closes
/// it.
fn text(group: &[&Entry], first: bool, last: bool) -> Bytes {
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
    Bytes::from(text)
}

/// A group's text deflated and flushed to a byte boundary without ending the stream.
fn compress(text: &[u8]) -> Compressed {
    let mut encoder = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(text.len() / 8 + 64),
        flate2::Compression::fast(),
    );
    encoder.write_all(text).expect("writing to memory");
    // A sync flush: every byte of the text out, byte-aligned, the stream not ended.
    encoder.flush().expect("writing to memory");
    let deflate = std::mem::take(encoder.get_mut());
    let mut crc = crc32fast::Hasher::new();
    crc.update(text);
    Compressed {
        deflate,
        crc,
        len: text.len(),
    }
}
