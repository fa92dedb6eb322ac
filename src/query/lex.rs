//! Splitting a query into tokens, each with its byte span.

use super::ast::Op;
use super::QueryError;

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// A field name or bare word: letters, digits, `_`, `.` and inner `-`.
    Word(String),
    /// A quoted string, unescaped.
    Str(String),
    Number(f64),
    /// A duration relative to now, in seconds: `-2h`, `30m`, `-7d`.
    Duration(f64),
    /// An RFC 3339 date or date-time: `2026-11-30`, `2026-11-30T12:00:00Z`.
    Date(String),
    /// `/…/`, after `~`.
    Regex(String),
    /// `= != < <= > >=` (`==` is `=`).
    Op(Op),
    Tilde,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    DotDot,
    And,
    Or,
    Not,
    In,
    End,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn span(&self) -> (usize, usize) {
        (self.start, self.end)
    }
}

/// The tokens of `text`, ending with [`Tok::End`].
pub fn tokens(text: &str) -> Result<Vec<Token>, QueryError> {
    let bytes = text.as_bytes();
    let mut out: Vec<Token> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let after_tilde = matches!(
            out.last(),
            Some(Token {
                tok: Tok::Tilde,
                ..
            })
        );
        let (tok, end) = match c {
            b'(' => (Tok::LParen, i + 1),
            b')' => (Tok::RParen, i + 1),
            b'[' => (Tok::LBracket, i + 1),
            b']' => (Tok::RBracket, i + 1),
            b',' => (Tok::Comma, i + 1),
            b'~' => (Tok::Tilde, i + 1),
            b'.' if bytes.get(i + 1) == Some(&b'.') => (Tok::DotDot, i + 2),
            b'!' if bytes.get(i + 1) == Some(&b'=') => (Tok::Op(Op::Ne), i + 2),
            b'<' if bytes.get(i + 1) == Some(&b'=') => (Tok::Op(Op::Le), i + 2),
            b'>' if bytes.get(i + 1) == Some(&b'=') => (Tok::Op(Op::Ge), i + 2),
            b'=' if bytes.get(i + 1) == Some(&b'=') => (Tok::Op(Op::Eq), i + 2),
            b'<' => (Tok::Op(Op::Lt), i + 1),
            b'>' => (Tok::Op(Op::Gt), i + 1),
            b'=' => (Tok::Op(Op::Eq), i + 1),
            b'"' | b'\'' => quoted(text, i)?,
            b'/' if after_tilde => regex(text, i)?,
            b'0'..=b'9' | b'-' | b'+' | b'.' => number(text, i)?,
            c if c.is_ascii_alphabetic() || c == b'_' => word(text, i),
            _ => {
                let ch = text[i..].chars().next().unwrap_or('?');
                return Err(QueryError::new(
                    format!("unexpected `{ch}`: expected a field, a value, an operator or a parenthesis"),
                    (i, i + ch.len_utf8()),
                ));
            }
        };
        out.push(Token { tok, start, end });
        i = end;
    }
    out.push(Token {
        tok: Tok::End,
        start: text.len(),
        end: text.len(),
    });
    Ok(out)
}

fn quoted(text: &str, start: usize) -> Result<(Tok, usize), QueryError> {
    let quote = text.as_bytes()[start] as char;
    let mut value = String::new();
    let mut chars = text[start + 1..].char_indices();
    while let Some((j, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, escaped)) => value.push(escaped),
                None => break,
            },
            c if c == quote => return Ok((Tok::Str(value), start + 1 + j + 1)),
            c => value.push(c),
        }
    }
    Err(QueryError::new(
        format!("unterminated string: expected a closing {quote}"),
        (start, text.len()),
    ))
}

fn regex(text: &str, start: usize) -> Result<(Tok, usize), QueryError> {
    let mut source = String::new();
    let mut chars = text[start + 1..].char_indices().peekable();
    while let Some((j, c)) = chars.next() {
        match c {
            '\\' if chars.peek().map(|(_, n)| *n) == Some('/') => {
                chars.next();
                source.push('/');
            }
            '\\' => {
                source.push('\\');
                if let Some((_, n)) = chars.next() {
                    source.push(n);
                }
            }
            '/' => return Ok((Tok::Regex(source), start + 1 + j + 1)),
            c => source.push(c),
        }
    }
    Err(QueryError::new(
        "unterminated regular expression: expected a closing /",
        (start, text.len()),
    ))
}

fn word(text: &str, start: usize) -> (Tok, usize) {
    let bytes = text.as_bytes();
    let mut end = start;
    while end < bytes.len() {
        let c = bytes[end];
        let inner_dash = c == b'-'
            && bytes
                .get(end + 1)
                .is_some_and(|n| n.is_ascii_alphanumeric());
        // `a..b` is a range, not a word with dots.
        let dot = c == b'.' && bytes.get(end + 1) != Some(&b'.');
        if c.is_ascii_alphanumeric() || c == b'_' || dot || inner_dash {
            end += 1;
        } else {
            break;
        }
    }
    let word = &text[start..end];
    let tok = match word.to_ascii_uppercase().as_str() {
        "AND" => Tok::And,
        "OR" => Tok::Or,
        "NOT" => Tok::Not,
        "IN" => Tok::In,
        _ => Tok::Word(word.to_owned()),
    };
    (tok, end)
}

/// A number (`3`, `-1.5e-4`), a duration (`-2h`) or a date (`2026-11-30`).
fn number(text: &str, start: usize) -> Result<(Tok, usize), QueryError> {
    let bytes = text.as_bytes();
    if is_date(&bytes[start..]) {
        let mut end = start;
        while end < bytes.len()
            && matches!(
                bytes[end],
                b'0'..=b'9' | b'-' | b'+' | b':' | b'.' | b'T' | b'Z' | b't' | b'z'
            )
        {
            if bytes[end] == b'.' && bytes.get(end + 1) == Some(&b'.') {
                break;
            }
            end += 1;
        }
        return Ok((Tok::Date(text[start..end].to_owned()), end));
    }
    let mut end = start;
    if matches!(bytes[end], b'-' | b'+') {
        end += 1;
    }
    let digits = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mantissa_start = end;
    end = digits(end);
    if end < bytes.len() && bytes[end] == b'.' && bytes.get(end + 1) != Some(&b'.') {
        end = digits(end + 1);
    }
    if end == mantissa_start
        || !text[mantissa_start..end]
            .bytes()
            .any(|b| b.is_ascii_digit())
    {
        let shown = &text[start..(start + 1).min(text.len())];
        return Err(QueryError::new(
            format!("unexpected `{shown}`: expected a number"),
            (start, start + 1),
        ));
    }
    if end < bytes.len() && matches!(bytes[end], b'e' | b'E') {
        let mut exp = end + 1;
        if exp < bytes.len() && matches!(bytes[exp], b'-' | b'+') {
            exp += 1;
        }
        let after = digits(exp);
        if after > exp {
            end = after;
        }
    }
    let value: f64 = text[start..end].parse().map_err(|_| {
        QueryError::new(
            format!("`{}` is not a number", &text[start..end]),
            (start, end),
        )
    })?;
    if !value.is_finite() {
        return Err(QueryError::new(
            format!(
                "`{}` is out of range: expected a finite number",
                &text[start..end]
            ),
            (start, end),
        ));
    }
    // A unit right after the number makes it a duration.
    let unit_end = {
        let mut u = end;
        while u < bytes.len() && bytes[u].is_ascii_alphabetic() {
            u += 1;
        }
        u
    };
    if unit_end > end {
        let seconds = match &text[end..unit_end] {
            "s" => 1.0,
            "m" | "min" => 60.0,
            "h" => 3_600.0,
            "d" => 86_400.0,
            "w" => 604_800.0,
            unit => {
                return Err(QueryError::new(
                    format!("unknown unit `{unit}`: expected s, m, h, d or w (as in -2h)"),
                    (end, unit_end),
                ))
            }
        };
        return Ok((Tok::Duration(value * seconds), unit_end));
    }
    Ok((Tok::Number(value), end))
}

/// Whether `bytes` start with `dddd-dd-dd`.
fn is_date(bytes: &[u8]) -> bool {
    bytes.len() >= 10
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[5..7].iter().all(u8::is_ascii_digit)
        && bytes[7] == b'-'
        && bytes[8..10].iter().all(u8::is_ascii_digit)
}
