//! `?page=` (from 1) and `?perPage=` (default 50, at most 500), and the list shape;
//! for the long lists (orders, transactions) also the cursors `?before=` and `?after=`.

use serde::{Deserialize, Serialize};

use crate::db::keyset::{Count, Position, Window};
use crate::error::AppError;

pub const DEFAULT_PER_PAGE: i64 = 50;
pub const MAX_PER_PAGE: i64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: i64,
    pub per_page: i64,
}

/// The raw query parameters; numbers arrive as strings so a bad one gets a clear 400.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    pub page: Option<String>,
    #[serde(rename = "perPage", alias = "per_page")]
    pub per_page: Option<String>,
}

impl PageRequest {
    pub fn parse(query: &PageQuery) -> Result<Self, AppError> {
        let page = parse_positive(query.page.as_deref(), "page", 1)?;
        let per_page = parse_positive(query.per_page.as_deref(), "perPage", DEFAULT_PER_PAGE)?;
        if per_page > MAX_PER_PAGE {
            return Err(AppError::validation(
                "perPage",
                format!("perPage can be at most {MAX_PER_PAGE}."),
            ));
        }
        Ok(Self { page, per_page })
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }

    pub fn limit(&self) -> i64 {
        self.per_page
    }
}

fn parse_positive(raw: Option<&str>, field: &'static str, default: i64) -> Result<i64, AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=1_000_000_000).contains(n))
            .ok_or_else(|| AppError::validation(field, format!("{field} must be a whole number from 1."))),
    }
}

/// `{"items":[…],"page","perPage","total"}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

impl<T> Paged<T> {
    pub fn new(items: Vec<T>, request: PageRequest, total: i64) -> Self {
        Self {
            items,
            page: request.page,
            per_page: request.per_page,
            total,
        }
    }

    pub fn pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }

    pub fn has_next(&self) -> bool {
        self.page < self.pages()
    }

    pub fn has_prev(&self) -> bool {
        self.page > 1
    }
}

/// The raw query of a keyset list (issue 13): `?before=` or `?after=` (an id from
/// `nextBefore` or `prevAfter`), or `?page=` as before, and `?perPage=`.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ListQuery {
    pub page: Option<String>,
    #[serde(rename = "perPage", alias = "per_page")]
    pub per_page: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Where a keyset list's page starts, and its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListRequest {
    pub position: Position,
    pub per_page: i64,
}

impl ListRequest {
    pub fn parse(query: &ListQuery) -> Result<Self, AppError> {
        let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).is_some();
        let (before, after) = (given(&query.before), given(&query.after));
        if before && after {
            return Err(AppError::validation("before", "Use before or after, not both."));
        }
        if given(&query.page) && (before || after) {
            return Err(AppError::validation(
                "page",
                "Use page or a cursor (before, after), not both.",
            ));
        }
        let paged = PageRequest::parse(&PageQuery {
            page: query.page.clone(),
            per_page: query.per_page.clone(),
        })?;
        let cursor = |field: &'static str, raw: &Option<String>| {
            raw.as_deref()
                .map(str::trim)
                .and_then(|s| s.parse::<i64>().ok())
                .filter(|id| *id >= 1)
                .ok_or_else(|| {
                    AppError::validation(
                        field,
                        format!("{field} must be an id from a list's nextBefore or prevAfter (a whole number from 1)."),
                    )
                })
        };
        let position = if before {
            Position::Before(cursor("before", &query.before)?)
        } else if after {
            Position::After(cursor("after", &query.after)?)
        } else {
            Position::Offset(paged.offset())
        };
        Ok(Self {
            position,
            per_page: paged.per_page,
        })
    }

    /// The page number, for `?page=` requests.
    pub fn page(&self) -> Option<i64> {
        match self.position {
            Position::Offset(offset) => Some(offset / self.per_page + 1),
            Position::Before(_) | Position::After(_) => None,
        }
    }

    /// The cursor's field and id, for a cursor request.
    pub fn cursor(&self) -> Option<(&'static str, i64)> {
        match self.position {
            Position::Before(id) => Some(("before", id)),
            Position::After(id) => Some(("after", id)),
            Position::Offset(_) => None,
        }
    }
}

/// A page of a keyset list. SPEC §8's keys keep their meaning, with two differences
/// that keep a page cheap at millions of rows: `total` is counted up to 1,000
/// (`totalExact` false: there are more), and `page` is null for a cursor request.
/// `nextBefore` and `prevAfter` are the cursors of the older and newer pages (null when
/// there is none); `hasMore` says whether older rows follow.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CursorPage<T> {
    pub items: Vec<T>,
    pub page: Option<i64>,
    pub per_page: i64,
    pub total: i64,
    pub total_exact: bool,
    pub has_more: bool,
    pub next_before: Option<i64>,
    pub prev_after: Option<i64>,
    #[serde(skip)]
    first_page: bool,
}

impl<T> CursorPage<T> {
    pub fn new(items: Vec<T>, request: ListRequest, window: &Window, count: Count) -> Self {
        Self {
            items,
            page: request.page(),
            per_page: request.per_page,
            total: count.value,
            total_exact: count.exact,
            has_more: window.older,
            next_before: window.ids.last().copied().filter(|_| window.older),
            prev_after: window.ids.first().copied().filter(|_| window.newer),
            first_page: request.position == Position::Offset(0),
        }
    }

    /// The items converted one by one (rows to views); the paging stays.
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<CursorPage<U>, E> {
        Ok(CursorPage {
            items: self.items.into_iter().map(f).collect::<Result<_, E>>()?,
            page: self.page,
            per_page: self.per_page,
            total: self.total,
            total_exact: self.total_exact,
            has_more: self.has_more,
            next_before: self.next_before,
            prev_after: self.prev_after,
            first_page: self.first_page,
        })
    }

    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> CursorPage<U> {
        match self.try_map(|item| Ok::<U, std::convert::Infallible>(f(item))) {
            Ok(page) => page,
            Err(never) => match never {},
        }
    }

    /// The total as a page shows it: `42`, or `1,000+` past the cap.
    pub fn total_label(&self) -> String {
        let digits = self.total.to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 1);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if !self.total_exact {
            grouped.push('+');
        }
        grouped
    }

    /// The link to the older page; `filters` is the list's other query parameters,
    /// URL-encoded (see `link_query`).
    pub fn older_href(&self, filters: &str) -> Option<String> {
        self.next_before.map(|id| href(filters, &format!("before={id}")))
    }

    pub fn newer_href(&self, filters: &str) -> Option<String> {
        self.prev_after.map(|id| href(filters, &format!("after={id}")))
    }

    /// Whether the page has a neighbour to link to (a pager worth showing).
    pub fn has_links(&self) -> bool {
        self.next_before.is_some() || self.prev_after.is_some() || !self.first_page
    }

    /// The link back to the newest page, from any other.
    pub fn newest_href(&self, filters: &str) -> Option<String> {
        (!self.first_page).then(|| href(filters, ""))
    }
}

fn href(filters: &str, cursor: &str) -> String {
    match (filters.is_empty(), cursor.is_empty()) {
        (true, true) => "?".to_string(),
        (true, false) => format!("?{cursor}"),
        (false, true) => format!("?{filters}"),
        (false, false) => format!("?{filters}&{cursor}"),
    }
}

/// `pairs` with a value, URL-encoded: the query a list's links carry besides the cursor.
pub fn link_query(pairs: &[(&str, Option<&str>)]) -> String {
    let kept: Vec<(&str, &str)> = pairs
        .iter()
        .filter_map(|(k, v)| v.map(str::trim).filter(|v| !v.is_empty()).map(|v| (*k, v)))
        .collect();
    serde_urlencoded::to_string(kept).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> ListQuery {
        let encoded = serde_urlencoded::to_string(pairs).unwrap();
        serde_urlencoded::from_str(&encoded).unwrap()
    }

    #[test]
    fn a_list_request_is_a_page_or_one_cursor() {
        let plain = ListRequest::parse(&query(&[])).unwrap();
        assert_eq!(plain.position, Position::Offset(0));
        assert_eq!(plain.page(), Some(1));
        let third = ListRequest::parse(&query(&[("page", "3"), ("perPage", "20")])).unwrap();
        assert_eq!((third.position, third.page()), (Position::Offset(40), Some(3)));
        let before = ListRequest::parse(&query(&[("before", "120")])).unwrap();
        assert_eq!((before.position, before.page()), (Position::Before(120), None));
        let after = ListRequest::parse(&query(&[("after", " 7 ")])).unwrap();
        assert_eq!(after.position, Position::After(7));
        for bad in [
            vec![("before", "abc")],
            vec![("before", "0")],
            vec![("after", "-3")],
            vec![("before", "1"), ("after", "2")],
            vec![("page", "2"), ("before", "5")],
            vec![("perPage", "501"), ("before", "5")],
        ] {
            assert!(
                matches!(ListRequest::parse(&query(&bad)), Err(AppError::Validation { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_cursor_page_links_to_its_neighbours() {
        let request = ListRequest::parse(&query(&[("before", "100")])).unwrap();
        let window = Window {
            ids: vec![99, 97, 90],
            newer: true,
            older: true,
        };
        let page = CursorPage::new(vec!['a', 'b', 'c'], request, &window, Count::more_than_cap());
        assert_eq!(
            (page.next_before, page.prev_after, page.has_more),
            (Some(90), Some(99), true)
        );
        assert_eq!(page.total_label(), "1,000+");
        assert_eq!(
            page.older_href("status=failed").as_deref(),
            Some("?status=failed&before=90")
        );
        assert_eq!(page.newer_href("").as_deref(), Some("?after=99"));
        assert_eq!(page.newest_href("q=a%26b").as_deref(), Some("?q=a%26b"));
        let json = serde_json::to_value(&page).unwrap();
        assert_eq!(json["page"], serde_json::Value::Null);
        assert_eq!(json["totalExact"], false);
        assert_eq!(json["nextBefore"], 90);
    }

    #[test]
    fn the_first_page_has_no_newer_link() {
        let request = ListRequest::parse(&query(&[])).unwrap();
        let window = Window {
            ids: vec![5, 4],
            newer: false,
            older: false,
        };
        let page = CursorPage::new(vec![(), ()], request, &window, Count::from_read(2));
        assert_eq!(
            (page.next_before, page.prev_after, page.newest_href("")),
            (None, None, None)
        );
        assert_eq!(page.total_label(), "2");
    }

    #[test]
    fn link_queries_keep_only_given_values() {
        assert_eq!(
            link_query(&[
                ("status", Some("failed")),
                ("q", Some(" a&b ")),
                ("from", Some("")),
                ("to", None)
            ]),
            "status=failed&q=a%26b"
        );
    }
}
