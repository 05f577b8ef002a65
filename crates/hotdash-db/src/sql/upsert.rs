//! Multi-row upserts behind an `updated_at` watermark, described by a [`Spec`] per table.
//!
//! One statement writes up to 256 rows (`INSERT … VALUES (…), (…) ON CONFLICT (key) DO UPDATE
//! … WHERE excluded.updated_at >= t.updated_at RETURNING key`), so a bulk backfill costs a
//! round trip per 256 rows, not per row. The returned keys say which rows applied, so child
//! rows (line items, variants) are replaced only under a parent whose upsert applied.
//!
//! Tables with a `webhook_updated_at` column remember the newest version a webhook delivered:
//! webhook rows set it, sync rows leave it alone. Reconciliation compares it with `updated_at`.

use sqlx::any::AnyArguments;
use sqlx::{Any, Arguments, AssertSqlSafe, Transaction};

use super::{Params, cached_statement, fixed_chunks, fixed_chunks_of};
use crate::{Backend, DbResult};

/// One bound value.
#[derive(Debug, Clone, Copy)]
pub(super) enum Val<'a> {
    Text(Option<&'a str>),
    Int(Option<i64>),
    Real(f64),
}

impl<'a> From<&'a str> for Val<'a> {
    fn from(v: &'a str) -> Self {
        Val::Text(Some(v))
    }
}
impl<'a> From<&'a String> for Val<'a> {
    fn from(v: &'a String) -> Self {
        Val::Text(Some(v))
    }
}
impl<'a> From<&'a Option<String>> for Val<'a> {
    fn from(v: &'a Option<String>) -> Self {
        Val::Text(v.as_deref())
    }
}
impl From<i64> for Val<'_> {
    fn from(v: i64) -> Self {
        Val::Int(Some(v))
    }
}
impl From<Option<i64>> for Val<'_> {
    fn from(v: Option<i64>) -> Self {
        Val::Int(v)
    }
}
impl From<bool> for Val<'_> {
    fn from(v: bool) -> Self {
        Val::Int(Some(i64::from(v)))
    }
}
impl From<f64> for Val<'_> {
    fn from(v: f64) -> Self {
        Val::Real(v)
    }
}

/// How a table is upserted.
pub(super) struct Spec {
    pub table: &'static str,
    /// Every written column, key columns first.
    pub columns: &'static [&'static str],
    /// How many leading `columns` form the conflict key.
    pub key_len: usize,
    /// Whether the update applies only when `updated_at` is not older than the stored one.
    pub watermark: bool,
    /// Whether the table has a `webhook_updated_at` column (appended after `columns`).
    pub webhook_column: bool,
    /// Update only these columns when the row exists (`None`: every non-key column). Used where
    /// webhooks carry fewer fields than the API (they must not blank the rest).
    pub keep_existing_when_null: &'static [&'static str],
}

/// Who is writing: a webhook's processing job, or a sync pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    Webhook,
    Sync,
}

impl Spec {
    /// The statement for `rows` rows, built once per (table, backend, size): a back-fill
    /// writes thousands of them, and the 256-row text has thousands of placeholders.
    fn cached_sql(&self, backend: Backend, rows: usize) -> String {
        cached_statement(self.table, backend, rows, || self.sql(backend, rows))
    }

    fn sql(&self, backend: Backend, rows: usize) -> String {
        let mut params = Params::new(backend);
        let mut cols: Vec<&str> = self.columns.to_vec();
        if self.webhook_column {
            cols.push("webhook_updated_at");
        }
        let width = cols.len();
        let keys = &self.columns[..self.key_len];
        let updates: Vec<String> = self.columns[self.key_len..]
            .iter()
            .map(|c| {
                if self.keep_existing_when_null.contains(c) {
                    format!("{c} = COALESCE(excluded.{c}, {t}.{c})", t = self.table)
                } else {
                    format!("{c} = excluded.{c}")
                }
            })
            .chain(self.webhook_column.then(|| {
                format!(
                    "webhook_updated_at = COALESCE(excluded.webhook_updated_at, {}.webhook_updated_at)",
                    self.table
                )
            }))
            .collect();
        let action = if updates.is_empty() {
            "NOTHING".to_owned()
        } else {
            let mut set = format!("UPDATE SET {}", updates.join(", "));
            if self.watermark {
                set.push_str(&format!(
                    " WHERE excluded.updated_at >= {}.updated_at",
                    self.table
                ));
            }
            set
        };
        format!(
            "INSERT INTO {table} ({cols}) VALUES {values} ON CONFLICT ({keys}) DO {action} RETURNING {keys}",
            table = self.table,
            cols = cols.join(", "),
            values = params.rows(rows, width),
            keys = keys.join(", "),
        )
    }

    /// Upserts `rows` (each exactly `columns.len()` values; `updated_at` is read from the
    /// column of that name for the webhook marker). Returns the keys (first key column, as
    /// text) of the rows that applied.
    pub(super) async fn upsert(
        &self,
        tx: &mut Transaction<'_, Any>,
        backend: Backend,
        origin: Origin,
        rows: &[Vec<Val<'_>>],
    ) -> DbResult<Vec<String>> {
        let updated_pos = self.columns.iter().position(|c| *c == "updated_at");
        let rows = dedupe_by_key(rows, self.key_len, updated_pos);
        let mut applied = Vec::new();
        let mut offset = 0;
        // Up to 256 rows per statement (at most ~6,000 bound values, far below SQLite's
        // 32,766 and Postgres's 65,535): a backfill page is a handful of statements.
        for size in fixed_chunks_of(rows.len(), 256) {
            let chunk = &rows[offset..offset + size];
            offset += size;
            let mut args = AnyArguments::default();
            for row in chunk {
                debug_assert_eq!(row.len(), self.columns.len(), "{}", self.table);
                for v in row.iter() {
                    bind(&mut args, *v);
                }
                if self.webhook_column {
                    let marker = match (origin, updated_pos) {
                        (Origin::Webhook, Some(p)) => match row[p] {
                            Val::Int(v) => v,
                            _ => None,
                        },
                        _ => None,
                    };
                    bind(&mut args, Val::Int(marker));
                }
            }
            let sql = self.cached_sql(backend, size);
            let returned: Vec<sqlx::any::AnyRow> = sqlx::query_with(AssertSqlSafe(sql), args)
                .fetch_all(&mut **tx)
                .await?;
            for row in returned {
                use sqlx::Row;
                let key: String = match row.try_get::<String, _>(0) {
                    Ok(s) => s,
                    Err(_) => row.try_get::<i64, _>(0)?.to_string(),
                };
                applied.push(key);
            }
        }
        Ok(applied)
    }
}

/// One row per key (the newest `updated_at`, the later row on a tie): Postgres refuses an
/// `ON CONFLICT DO UPDATE` that touches one row twice in a statement.
fn dedupe_by_key<'r, 'a>(
    rows: &'r [Vec<Val<'a>>],
    key_len: usize,
    updated_pos: Option<usize>,
) -> Vec<&'r Vec<Val<'a>>> {
    let key_of = |row: &Vec<Val<'_>>| -> String {
        row[..key_len]
            .iter()
            .map(|v| match v {
                Val::Text(t) => t.unwrap_or("").to_owned(),
                Val::Int(i) => i.map(|i| i.to_string()).unwrap_or_default(),
                Val::Real(r) => r.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\u{1f}")
    };
    let updated = |row: &Vec<Val<'_>>| -> i64 {
        match updated_pos.map(|p| row[p]) {
            Some(Val::Int(Some(v))) => v,
            _ => 0,
        }
    };
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut out: Vec<&Vec<Val<'a>>> = Vec::with_capacity(rows.len());
    for row in rows {
        match index.entry(key_of(row)) {
            std::collections::hash_map::Entry::Occupied(e) => {
                let slot = &mut out[*e.get()];
                if updated(row) >= updated(slot) {
                    *slot = row;
                }
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(out.len());
                out.push(row);
            }
        }
    }
    out
}

fn bind(args: &mut AnyArguments, v: Val<'_>) {
    // AnyArguments owns its values.
    let result = match v {
        Val::Text(t) => args.add(t.map(str::to_owned)),
        Val::Int(i) => args.add(i),
        Val::Real(r) => args.add(r),
    };
    result.expect("encoding a text, integer or float never fails");
}

/// Deletes the child rows of `parents` (`DELETE FROM table WHERE column IN (…)`), in chunks.
pub(super) async fn delete_children(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    table: &str,
    column: &str,
    parents: &[String],
) -> DbResult<()> {
    let mut offset = 0;
    for size in fixed_chunks(parents.len()) {
        let mut params = Params::new(backend);
        let sql = format!(
            "DELETE FROM {table} WHERE {column} IN ({})",
            params.list(size)
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for p in &parents[offset..offset + size] {
            query = query.bind(p.clone());
        }
        offset += size;
        query.execute(&mut **tx).await?;
    }
    Ok(())
}
