//! A small WHERE-clause builder with `$n` numbering, for the optional filters of list and replay.

use sqlx::any::AnyArguments;
use sqlx::query::{QueryAs, QueryScalar};
use sqlx::{Any, FromRow};

use crate::WebhookFilter;

enum Value {
    Text(String),
    Int(i64),
}

/// Conjunction of conditions; each `push_*` adds one clause and its bound value.
pub(super) struct Where {
    clauses: Vec<String>,
    values: Vec<Value>,
    next: usize,
}

impl Where {
    pub(super) fn starting_at(first_param: usize) -> Self {
        Self {
            clauses: Vec::new(),
            values: Vec::new(),
            next: first_param,
        }
    }

    fn push(&mut self, clause: impl FnOnce(usize) -> String, value: Value) {
        self.clauses.push(clause(self.next));
        self.values.push(value);
        self.next += 1;
    }

    /// Adds the conditions of `filter`, with columns prefixed by `alias` (e.g. `"e."`).
    pub(super) fn webhook_filter(&mut self, filter: &WebhookFilter, alias: &str) {
        if let Some(source) = &filter.source {
            self.push(
                |n| format!("{alias}source = ${n}"),
                Value::Text(source.clone()),
            );
        }
        if let Some(topic) = &filter.topic {
            self.push(
                |n| format!("{alias}topic = ${n}"),
                Value::Text(topic.clone()),
            );
        }
        if let Some(status) = &filter.status {
            self.push(
                |n| format!("{alias}status = ${n}"),
                Value::Text(status.clone()),
            );
        }
        if let Some(from) = filter.received_from {
            self.push(|n| format!("{alias}received_at >= ${n}"), Value::Int(from));
        }
        if let Some(until) = filter.received_until {
            self.push(|n| format!("{alias}received_at < ${n}"), Value::Int(until));
        }
        if !filter.ids.is_empty() {
            let first = self.next;
            let list: Vec<String> = (first..first + filter.ids.len())
                .map(|i| format!("${i}"))
                .collect();
            self.clauses
                .push(format!("{alias}id IN ({})", list.join(", ")));
            self.values
                .extend(filter.ids.iter().map(|id| Value::Int(*id)));
            self.next += filter.ids.len();
        }
    }

    pub(super) fn sql(&self) -> String {
        if self.clauses.is_empty() {
            "1 = 1".to_owned()
        } else {
            self.clauses.join(" AND ")
        }
    }

    pub(super) fn bind_all_scalar<'q, O>(
        &self,
        mut query: QueryScalar<'q, Any, O, AnyArguments>,
    ) -> QueryScalar<'q, Any, O, AnyArguments> {
        for value in &self.values {
            query = match value {
                Value::Text(s) => query.bind(s.clone()),
                Value::Int(i) => query.bind(*i),
            };
        }
        query
    }

    pub(super) fn bind_all_as<'q, O>(
        &self,
        mut query: QueryAs<'q, Any, O, AnyArguments>,
    ) -> QueryAs<'q, Any, O, AnyArguments>
    where
        O: for<'r> FromRow<'r, sqlx::any::AnyRow>,
    {
        for value in &self.values {
            query = match value {
                Value::Text(s) => query.bind(s.clone()),
                Value::Int(i) => query.bind(*i),
            };
        }
        query
    }
}
