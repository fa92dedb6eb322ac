//! Recursive descent over the tokens, bounded in length and depth.
//!
//! ```text
//! query   := or? END
//! or      := and (OR and)*
//! and     := unary (AND? unary)*          adjacent conditions are ANDed
//! unary   := NOT unary | primary
//! primary := '(' or ')' | field op value | field '~' (regex | string)
//!          | field IN '[' value (',' value)* ']' | field IN value '..' value | has '(' type ')'
//!          | word | string
//! ```

use super::ast::{Expr, Field, Literal, Pattern, FIELDS};
use super::lex::{tokens, Tok, Token};
use super::{QueryError, MAX_DEPTH, MAX_QUERY_BYTES};
use crate::model::summary::STATISTICS;
use crate::model::{ResultType, RunStatus};

/// Parses a query; the empty query is [`Expr::All`].
pub fn parse(text: &str) -> Result<Expr, QueryError> {
    if text.len() > MAX_QUERY_BYTES {
        return Err(QueryError::new(
            format!(
                "the query is {} bytes long: expected at most {MAX_QUERY_BYTES}",
                text.len()
            ),
            (MAX_QUERY_BYTES, text.len()),
        ));
    }
    let mut parser = Parser {
        tokens: tokens(text)?,
        at: 0,
    };
    if parser.peek().tok == Tok::End {
        return Ok(Expr::All);
    }
    let expr = parser.or(0)?;
    let next = parser.peek();
    if next.tok != Tok::End {
        return Err(QueryError::new(
            match next.tok {
                Tok::RParen => "unmatched `)`".to_owned(),
                _ => "unexpected token: expected AND, OR or the end of the query".to_owned(),
            },
            next.span(),
        ));
    }
    Ok(expr)
}

/// Reads a field name, naming the closest known fields when it is not one.
pub fn field(name: &str, span: (usize, usize)) -> Result<Field, QueryError> {
    Field::named(name).ok_or_else(|| {
        let mut close: Vec<(f64, String)> = FIELDS
            .iter()
            .chain(STATISTICS.iter().map(|s| &s.name))
            .map(|f| (strsim::jaro_winkler(name, f), (*f).to_owned()))
            .filter(|(score, _)| *score > 0.8)
            .collect();
        close.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut suggestions: Vec<String> = close.into_iter().take(2).map(|(_, f)| f).collect();
        if !name.starts_with("meta.") {
            suggestions.push(format!("meta.{name}"));
        }
        QueryError::new(
            format!(
                "unknown field `{name}`: did you mean {}? Fields are {}, meta.<key> and result statistics such as error.max and loss.final (docs/query.md)",
                suggestions
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(" or "),
                FIELDS.join(", "),
            ),
            span,
        )
    })
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.at.min(self.tokens.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let token = self.peek().clone();
        if token.tok != Tok::End {
            self.at += 1;
        }
        token
    }

    fn deeper(&self, depth: usize) -> Result<usize, QueryError> {
        if depth >= MAX_DEPTH {
            return Err(QueryError::new(
                format!("the query nests more than {MAX_DEPTH} levels deep"),
                self.peek().span(),
            ));
        }
        Ok(depth + 1)
    }

    fn or(&mut self, depth: usize) -> Result<Expr, QueryError> {
        let mut items = vec![self.and(depth)?];
        while self.peek().tok == Tok::Or {
            self.next();
            items.push(self.and(depth)?);
        }
        Ok(flatten(items, false))
    }

    fn and(&mut self, depth: usize) -> Result<Expr, QueryError> {
        let mut items = vec![self.unary(depth)?];
        loop {
            match self.peek().tok {
                Tok::And => {
                    self.next();
                }
                Tok::Or | Tok::RParen | Tok::End => break,
                _ => {}
            }
            items.push(self.unary(depth)?);
        }
        Ok(flatten(items, true))
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, QueryError> {
        if self.peek().tok == Tok::Not {
            let depth = self.deeper(depth)?;
            self.next();
            return Ok(Expr::Not(Box::new(self.unary(depth)?)));
        }
        self.primary(depth)
    }

    fn primary(&mut self, depth: usize) -> Result<Expr, QueryError> {
        let token = self.next();
        let span = token.span();
        match token.tok {
            Tok::LParen => {
                let depth = self.deeper(depth)?;
                let inner = self.or(depth)?;
                let close = self.next();
                if close.tok != Tok::RParen {
                    return Err(QueryError::new(
                        "expected `)` to close the `(`",
                        (token.start, close.end.max(token.end)),
                    ));
                }
                Ok(inner)
            }
            Tok::Word(word)
                if word.eq_ignore_ascii_case("has") && self.peek().tok == Tok::LParen =>
            {
                self.has(token.start)
            }
            Tok::Word(word) => match self.peek().tok {
                Tok::Op(_) | Tok::Tilde | Tok::In => {
                    let field = field(&word, span)?;
                    self.condition(field)
                }
                _ => Ok(Expr::Word(word)),
            },
            Tok::Str(text) => Ok(Expr::Word(text)),
            Tok::End => Err(QueryError::new(
                "the query ends here: expected a condition",
                token.span(),
            )),
            _ => Err(QueryError::new(
                "expected a condition: a field and a comparison, a word, NOT or `(`",
                token.span(),
            )),
        }
    }

    /// The rest of `has(Type)`, after `has`: the type's name and `)`. A known type's name is read in any case
    /// (`has(solution2d)`); any other name is a type a writer may have made up.
    fn has(&mut self, start: usize) -> Result<Expr, QueryError> {
        self.next();
        let token = self.next();
        let Tok::Word(name) = token.tok else {
            return Err(QueryError::new(
                format!(
                    "expected a result type in `has(…)`: {}",
                    ResultType::NAMES.join(", ")
                ),
                token.span(),
            ));
        };
        let close = self.next();
        if close.tok != Tok::RParen {
            return Err(QueryError::new(
                "expected `)` to close `has(`",
                (start, close.end.max(token.end)),
            ));
        }
        let known = ResultType::NAMES
            .iter()
            .find(|known| known.eq_ignore_ascii_case(&name));
        Ok(Expr::Has(known.map_or(name, |k| (*k).to_owned())))
    }

    /// What follows a field: a comparison, `~`, or `IN`.
    fn condition(&mut self, field: Field) -> Result<Expr, QueryError> {
        let op_token = self.next();
        let op = match op_token.tok {
            Tok::Op(op) => op,
            Tok::Tilde => {
                let token = self.next();
                let span = token.span();
                let source = match token.tok {
                    Tok::Regex(source) | Tok::Str(source) => source,
                    _ => {
                        return Err(QueryError::new(
                            "expected a regular expression after `~`: /…/ or a quoted string",
                            token.span(),
                        ))
                    }
                };
                let regex = regex::RegexBuilder::new(&source)
                    .size_limit(1 << 20)
                    .dfa_size_limit(1 << 20)
                    .build()
                    .map_err(|e| {
                        let reason = e.to_string();
                        let last = reason.lines().last().unwrap_or("invalid").trim().to_owned();
                        QueryError::new(format!("invalid regular expression: {last}"), span)
                    })?;
                return Ok(Expr::Matches(field, Pattern { source, regex }));
            }
            Tok::In => {
                if self.peek().tok == Tok::LBracket {
                    self.next();
                    let mut values = vec![self.value(&field)?];
                    loop {
                        let token = self.next();
                        match token.tok {
                            Tok::Comma => values.push(self.value(&field)?),
                            Tok::RBracket => break,
                            _ => {
                                return Err(QueryError::new(
                                    "expected `,` or `]` in the list",
                                    token.span(),
                                ))
                            }
                        }
                    }
                    return Ok(Expr::In(field, values));
                }
                let lo = self.value(&field)?;
                let dots = self.next();
                if dots.tok != Tok::DotDot {
                    return Err(QueryError::new(
                        "expected `..` of a range (`in 1e-4..1e-2`) or a list (`IN [a, b]`)",
                        dots.span(),
                    ));
                }
                let hi = self.value(&field)?;
                return Ok(Expr::Range(field, lo, hi));
            }
            _ => unreachable!("checked by the caller"),
        };
        let value = self.value(&field)?;
        Ok(Expr::Compare(field, op, value))
    }

    /// A value for `field`, checked to make sense for it.
    fn value(&mut self, field: &Field) -> Result<Literal, QueryError> {
        let token = self.next();
        let span = token.span();
        let literal = match token.tok {
            Tok::Number(v) => Literal::Number(v),
            Tok::Str(s) => Literal::Text(s),
            Tok::Word(w) if w == "true" || w == "false" => Literal::Bool(w == "true"),
            Tok::Word(w) => Literal::Text(w),
            Tok::Duration(seconds) => Literal::Ago(seconds),
            Tok::Date(text) => match time_of(&text) {
                Some(micros) => Literal::Time(micros, text),
                None => {
                    return Err(QueryError::new(
                        format!(
                            "`{text}` is not a date: expected 2026-11-30 or 2026-11-30T12:00:00Z"
                        ),
                        span,
                    ))
                }
            },
            _ => return Err(QueryError::new("expected a value", span)),
        };
        match (field, &literal) {
            (Field::Created, Literal::Time(..) | Literal::Ago(_)) => {}
            (Field::Created, _) => {
                return Err(QueryError::new(
                    "`created` is compared with a date (2026-11-30, 2026-11-30T12:00:00Z) or a time relative to now (-2h, -7d)",
                    span,
                ))
            }
            (Field::Results, Literal::Number(n)) if n.fract() == 0.0 && *n >= 0.0 => {}
            (Field::Results, _) => {
                return Err(QueryError::new(
                    "`results` is compared with a whole number",
                    span,
                ))
            }
            (Field::Status, Literal::Text(s)) if s.parse::<RunStatus>().is_ok() => {}
            (Field::Status, _) => {
                return Err(QueryError::new(
                    "expected a status: running, completed or failed",
                    span,
                ))
            }
            (Field::Name | Field::Equation | Field::Circuit, Literal::Time(..) | Literal::Ago(_)) => {
                return Err(QueryError::new("expected text", span))
            }
            _ => {}
        }
        Ok(literal)
    }
}

/// One item as it is; several as their `And` (or `Or`), with nested ones of the same kind merged (from
/// parentheses), so that a tree prints and parses back to itself.
fn flatten(items: Vec<Expr>, and: bool) -> Expr {
    if items.len() == 1 {
        return items.into_iter().next().expect("one item");
    }
    let mut flat = Vec::new();
    for item in items {
        match item {
            Expr::And(inner) if and => flat.extend(inner),
            Expr::Or(inner) if !and => flat.extend(inner),
            item => flat.push(item),
        }
    }
    if and {
        Expr::And(flat)
    } else {
        Expr::Or(flat)
    }
}

/// A date (midnight UTC) or RFC 3339 date-time, in microseconds since 1970.
fn time_of(text: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_micros());
    }
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_micros())
}
