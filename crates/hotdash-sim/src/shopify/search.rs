//! Shopify's `query:` search syntax, the subset HotDash and its peers use
//! (https://shopify.dev/docs/api/usage/search-syntax): `field:value`, comparators `> >= < <=`,
//! implicit or explicit `AND`, `OR`, `NOT`/`-` negation, quoted values, `*` suffix wildcards and
//! bare words (default text search).
//!
//! Dates follow Shopify's quirk: a quoted value keeps its time of day, an unquoted one keeps only
//! its date (shopify.md §4.2). Unknown fields are ignored, as Shopify ignores filters it does not
//! know (it reports them as search warnings).

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub negated: bool,
    /// None for a bare word.
    pub field: Option<String>,
    pub op: Op,
    pub value: String,
    pub quoted: bool,
}

/// A parsed query: any of the alternatives (split by `OR`), each all of its terms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchQuery {
    alternatives: Vec<Vec<Term>>,
}

/// A record's value for one search field.
#[derive(Debug, Clone)]
pub enum FieldValue {
    Time(OffsetDateTime),
    /// Compared case-insensitively, `*` suffix as prefix match.
    Text(String),
    Number(f64),
    /// Matches if any element does (tags, line-item SKUs).
    Texts(Vec<String>),
    /// The record has no value (e.g. never cancelled): only negations match.
    Missing,
}

/// A record the search applies to.
pub trait Searchable {
    /// The value of `field`, or None if the resource has no such search field (then ignored).
    fn search_field(&self, field: &str) -> Option<FieldValue>;
    /// What bare words are matched against.
    fn default_text(&self) -> Vec<String>;
}

impl SearchQuery {
    pub fn parse(query: &str) -> SearchQuery {
        let mut alternatives = vec![Vec::new()];
        let mut negate_next = false;
        for token in tokenize(query) {
            match token.as_str() {
                "AND" => continue,
                "OR" => {
                    alternatives.push(Vec::new());
                    continue;
                }
                "NOT" => {
                    negate_next = true;
                    continue;
                }
                _ => {}
            }
            let mut text = token.as_str();
            let mut negated = std::mem::take(&mut negate_next);
            if let Some(rest) = text.strip_prefix('-') {
                negated = !negated;
                text = rest;
            }
            let term = match text.split_once(':') {
                Some((field, raw)) => {
                    let (op, raw) = split_op(raw);
                    let (value, quoted) = unquote(raw);
                    Term {
                        negated,
                        field: Some(field.to_ascii_lowercase()),
                        op,
                        value,
                        quoted,
                    }
                }
                None => {
                    let (value, quoted) = unquote(text);
                    Term {
                        negated,
                        field: None,
                        op: Op::Eq,
                        value,
                        quoted,
                    }
                }
            };
            if let Some(current) = alternatives.last_mut() {
                current.push(term);
            }
        }
        alternatives.retain(|terms| !terms.is_empty());
        SearchQuery { alternatives }
    }

    pub fn is_empty(&self) -> bool {
        self.alternatives.is_empty()
    }

    pub fn matches(&self, record: &impl Searchable) -> bool {
        self.alternatives.is_empty()
            || self
                .alternatives
                .iter()
                .any(|terms| terms.iter().all(|term| term_matches(term, record)))
    }

    /// The half-open range `[from, to)` a time field is restricted to, when the query is a single
    /// alternative with un-negated comparisons on it; lets lazy iterators skip ahead. `matches`
    /// still applies every term.
    pub fn time_bounds(&self, field: &str) -> (Option<OffsetDateTime>, Option<OffsetDateTime>) {
        let [terms] = self.alternatives.as_slice() else {
            return (None, None);
        };
        let mut from: Option<OffsetDateTime> = None;
        let mut to: Option<OffsetDateTime> = None;
        let mut raise = |t: OffsetDateTime| from = Some(from.map_or(t, |f| f.max(t)));
        let mut lower = |t: OffsetDateTime| to = Some(to.map_or(t, |f| f.min(t)));
        for term in terms {
            if term.negated || term.field.as_deref() != Some(field) {
                continue;
            }
            let Some(value) = parse_time(&term.value, term.quoted) else {
                continue;
            };
            match term.op {
                Op::Ge => raise(value.start),
                Op::Gt => raise(value.start + Duration::nanoseconds(1)),
                Op::Lt => lower(value.start),
                Op::Le => lower(value.start + Duration::nanoseconds(1)),
                Op::Eq => {
                    raise(value.start);
                    lower(value.end);
                }
            }
        }
        (from, to)
    }
}

fn tokenize(query: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    for c in query.chars() {
        match quote {
            Some(q) => {
                current.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                current.push(c);
                quote = Some(c);
            }
            None if c.is_whitespace() || c == '(' || c == ')' => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
            }
            None => current.push(c),
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

fn split_op(raw: &str) -> (Op, &str) {
    for (prefix, op) in [(">=", Op::Ge), ("<=", Op::Le), (">", Op::Gt), ("<", Op::Lt)] {
        if let Some(rest) = raw.strip_prefix(prefix) {
            return (op, rest);
        }
    }
    (Op::Eq, raw)
}

fn unquote(raw: &str) -> (String, bool) {
    for q in ['\'', '"'] {
        if let Some(inner) = raw.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return (inner.to_owned(), true);
        }
    }
    (raw.to_owned(), false)
}

/// A time value as the instant range it denotes: a date is its whole (UTC) day.
#[derive(Debug, Clone, Copy)]
struct TimeValue {
    start: OffsetDateTime,
    end: OffsetDateTime,
}

fn parse_time(value: &str, quoted: bool) -> Option<TimeValue> {
    let date_only = |date: Date| {
        let start = date.midnight().assume_utc();
        TimeValue {
            start,
            end: start + Duration::days(1),
        }
    };
    if quoted {
        if let Ok(t) = OffsetDateTime::parse(value, &Rfc3339) {
            return Some(TimeValue { start: t, end: t });
        }
        let spaced = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
        if let Ok(t) = PrimitiveDateTime::parse(value, spaced) {
            let t = t.assume_utc();
            return Some(TimeValue { start: t, end: t });
        }
    }
    // Unquoted: Shopify reads only the date (the time part is ignored).
    let date = value.get(..10)?;
    Date::parse(date, format_description!("[year]-[month]-[day]"))
        .ok()
        .map(date_only)
}

fn term_matches(term: &Term, record: &impl Searchable) -> bool {
    let hit = match &term.field {
        None => {
            let needle = term.value.to_lowercase();
            record
                .default_text()
                .iter()
                .any(|text| text.to_lowercase().contains(&needle))
        }
        Some(field) => match record.search_field(field) {
            // Shopify ignores filters on fields it does not know.
            None => return true,
            Some(value) => value_matches(term, &value),
        },
    };
    hit != term.negated
}

fn value_matches(term: &Term, value: &FieldValue) -> bool {
    match value {
        FieldValue::Missing => false,
        FieldValue::Time(t) => {
            let Some(wanted) = parse_time(&term.value, term.quoted) else {
                return false;
            };
            match term.op {
                Op::Eq => *t >= wanted.start && (*t < wanted.end || wanted.start == wanted.end),
                Op::Gt => *t > wanted.start,
                Op::Ge => *t >= wanted.start,
                Op::Lt => *t < wanted.start,
                Op::Le => *t <= wanted.start,
            }
        }
        FieldValue::Number(n) => {
            let Ok(wanted) = term.value.parse::<f64>() else {
                return false;
            };
            match term.op {
                Op::Eq => (*n - wanted).abs() < 1e-9,
                Op::Gt => *n > wanted,
                Op::Ge => *n >= wanted,
                Op::Lt => *n < wanted,
                Op::Le => *n <= wanted,
            }
        }
        FieldValue::Text(text) => text_matches(term, text),
        FieldValue::Texts(texts) => texts.iter().any(|text| text_matches(term, text)),
    }
}

fn text_matches(term: &Term, text: &str) -> bool {
    let text = text.to_lowercase();
    let wanted = term.value.to_lowercase();
    match term.op {
        Op::Eq => match wanted.strip_suffix('*') {
            Some(prefix) => text.starts_with(prefix),
            None => text == wanted,
        },
        Op::Gt => text > wanted,
        Op::Ge => text >= wanted,
        Op::Lt => text < wanted,
        Op::Le => text <= wanted,
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    struct Rec {
        updated_at: OffsetDateTime,
        status: &'static str,
        tags: Vec<String>,
    }

    impl Searchable for Rec {
        fn search_field(&self, field: &str) -> Option<FieldValue> {
            match field {
                "updated_at" => Some(FieldValue::Time(self.updated_at)),
                "status" => Some(FieldValue::Text(self.status.to_owned())),
                "tag" => Some(FieldValue::Texts(self.tags.clone())),
                _ => None,
            }
        }
        fn default_text(&self) -> Vec<String> {
            vec!["HRA-AN6-STR hose end".to_owned()]
        }
    }

    fn rec(updated_at: OffsetDateTime, status: &'static str) -> Rec {
        Rec {
            updated_at,
            status,
            tags: vec!["AN-6".to_owned()],
        }
    }

    #[test]
    fn quoted_times_compare_to_the_second_and_bound_iteration() {
        let q = SearchQuery::parse(
            "updated_at:>='2026-01-01T12:00:00Z' AND updated_at:<'2026-01-02T00:00:00Z'",
        );
        assert!(q.matches(&rec(datetime!(2026-01-01 12:00 UTC), "open")));
        assert!(!q.matches(&rec(datetime!(2026-01-01 11:59:59 UTC), "open")));
        assert!(!q.matches(&rec(datetime!(2026-01-02 00:00 UTC), "open")));
        assert_eq!(
            q.time_bounds("updated_at"),
            (
                Some(datetime!(2026-01-01 12:00 UTC)),
                Some(datetime!(2026-01-02 00:00 UTC))
            )
        );
    }

    #[test]
    fn unquoted_times_keep_only_the_date() {
        let q = SearchQuery::parse("updated_at:>=2026-01-01T12:00:00Z");
        assert!(q.matches(&rec(datetime!(2026-01-01 01:00 UTC), "open")));
    }

    #[test]
    fn or_negation_wildcards_and_bare_words() {
        let q = SearchQuery::parse("status:OPEN OR status:closed");
        assert!(q.matches(&rec(datetime!(2026-01-01 0:00 UTC), "open")));
        assert!(q.matches(&rec(datetime!(2026-01-01 0:00 UTC), "CLOSED")));
        assert!(!q.matches(&rec(datetime!(2026-01-01 0:00 UTC), "cancelled")));
        assert_eq!(q.time_bounds("updated_at"), (None, None));
        let q = SearchQuery::parse("-status:open tag:an-*");
        assert!(!q.matches(&rec(datetime!(2026-01-01 0:00 UTC), "open")));
        assert!(q.matches(&rec(datetime!(2026-01-01 0:00 UTC), "closed")));
        assert!(SearchQuery::parse("hose").matches(&rec(datetime!(2026-01-01 0:00 UTC), "x")));
        assert!(
            SearchQuery::parse("unknown_field:1")
                .matches(&rec(datetime!(2026-01-01 0:00 UTC), "x"))
        );
    }
}
