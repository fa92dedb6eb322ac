//! Differences between two texts: equations token by token, circuits line by line (the `similar` crate's Myers
//! diff over the tokens or lines).

use similar::{capture_diff_slices, Algorithm, DiffOp, DiffTag};

use crate::model::compare::{Change, TextDiff};

/// `new` against `old`, token by token: numbers (`1.5e-3`), names (`u_xx`), runs of spaces and single other
/// characters, so that `dt*0.5` and `dt*0.25` differ in one token. Neighbouring tokens of one kind are one part.
pub fn tokens(old: &str, new: &str) -> TextDiff {
    let (parts, differing) = items(&split(old), &split(new));
    let mut merged: Vec<(Change, String)> = Vec::new();
    for (change, text) in parts {
        match merged.last_mut() {
            Some((last, joined)) if *last == change => joined.push_str(text),
            _ => merged.push((change, text.to_owned())),
        }
    }
    TextDiff {
        parts: merged,
        differing,
    }
}

/// `new` against `old`, line by line (a last line with or without its line break is the same line); each part
/// is one line.
pub fn lines(old: &str, new: &str) -> TextDiff {
    let (old, new): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    let (parts, differing) = items(&old, &new);
    TextDiff {
        parts: parts.into_iter().map(|(c, t)| (c, t.to_owned())).collect(),
        differing,
    }
}

/// Each item of `new` and of `old` once, in reading order, with what it is; and how many items differ.
fn items<'a>(old: &[&'a str], new: &[&'a str]) -> (Vec<(Change, &'a str)>, usize) {
    let mut parts = Vec::with_capacity(old.len().max(new.len()));
    let mut differing = 0;
    for op in capture_diff_slices(Algorithm::Myers, old, new) {
        differing += changed(&op);
        let (tag, old_range, new_range) = op.as_tag_tuple();
        if matches!(tag, DiffTag::Delete | DiffTag::Replace) {
            parts.extend(old[old_range].iter().map(|t| (Change::Removed, *t)));
        }
        match tag {
            DiffTag::Equal => parts.extend(new[new_range].iter().map(|t| (Change::Same, *t))),
            DiffTag::Insert | DiffTag::Replace => {
                parts.extend(new[new_range].iter().map(|t| (Change::Added, *t)))
            }
            DiffTag::Delete => {}
        }
    }
    (parts, differing)
}

/// How many tokens or lines an operation changes: a replacement of 1 by 1 is one change, not two.
fn changed(op: &DiffOp) -> usize {
    match *op {
        DiffOp::Equal { .. } => 0,
        DiffOp::Delete { old_len, .. } => old_len,
        DiffOp::Insert { new_len, .. } => new_len,
        DiffOp::Replace {
            old_len, new_len, ..
        } => old_len.max(new_len),
    }
}

/// The tokens of an equation, which concatenated give it back.
fn split(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let c = text[i..].chars().next().expect("inside the text");
        let end = if c.is_ascii_digit()
            || (c == '.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            number_end(bytes, i)
        } else if c.is_alphanumeric() || c == '_' {
            i + text[i..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(text.len() - i)
        } else if c.is_whitespace() {
            i + text[i..]
                .find(|c: char| !c.is_whitespace())
                .unwrap_or(text.len() - i)
        } else {
            i + c.len_utf8()
        };
        out.push(&text[i..end]);
        i = end;
    }
    out
}

/// Where a number starting at `start` ends: digits, a fraction, an exponent (`1.5e-3`).
fn number_end(bytes: &[u8], start: usize) -> usize {
    let digits = |mut i: usize| {
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let mut i = digits(start);
    if bytes.get(i) == Some(&b'.') {
        i = digits(i + 1);
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(bytes.get(i + 1), Some(b'+' | b'-')));
        if bytes.get(i + 1 + sign).is_some_and(u8::is_ascii_digit) {
            i = digits(i + 1 + sign);
        }
    }
    i
}
