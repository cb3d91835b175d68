//! `?page=` (from 1) and `?perPage=` (default 50, at most 500), and the list shape.

use serde::{Deserialize, Serialize};

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
