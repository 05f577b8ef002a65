//! Query parameters read the way Rails reads them: repeated `key[]` values become a list, a
//! scalar key takes its last value, blank values count as absent.

use serde::Deserialize;

/// The raw query pairs (axum's `Query<Vec<(String, String)>>` keeps repeats and order).
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// `params[:key]`: the last non-blank value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, v)| k == key && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
    }

    /// Every value of `key` or `key[]`, with comma lists split (acts-as-taggable's parsing).
    pub fn list(&self, key: &str) -> Vec<&str> {
        let array_key = format!("{key}[]");
        self.0
            .iter()
            .filter(|(k, _)| *k == key || *k == array_key)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// `params[:key].to_i`-style integer; `None` when absent or not a number.
    pub fn int(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(|v| v.parse().ok())
    }

    /// Kaminari's page: 1-based, anything unusable is page 1.
    pub fn page(&self) -> usize {
        self.get("page")
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    }
}

/// Items of 1-based `page` at `per` per page.
pub fn paginate<T>(items: Vec<T>, page: usize, per: usize) -> Vec<T> {
    items
        .into_iter()
        .skip(page.saturating_sub(1).saturating_mul(per))
        .take(per)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn lists_merge_array_keys_and_comma_values() {
        let p = params(&[("labels[]", "a"), ("labels[]", "b,c"), ("labels", "d")]);
        assert_eq!(p.list("labels"), ["a", "b", "c", "d"]);
    }

    #[test]
    fn page_defaults_to_one_for_junk() {
        assert_eq!(params(&[("page", "x")]).page(), 1);
        assert_eq!(params(&[("page", "0")]).page(), 1);
        assert_eq!(params(&[("page", "3")]).page(), 3);
        assert_eq!(
            paginate((1..=30).collect(), 2, 25),
            vec![26, 27, 28, 29, 30]
        );
    }
}
