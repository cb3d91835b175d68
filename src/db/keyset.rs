//! Newest-first lists read by keyset (issue 13). A page starts at a cursor — the rows
//! older or newer than a row the caller saw — so reading it costs the same on page 1 and
//! on page 20,000, and rows inserted meanwhile neither shift nor repeat it. `?page=`
//! (an offset) still works for old links and clients; it reads only ids while it walks
//! past the skipped rows. Totals are counted up to `COUNT_CAP`.

/// Where a page of a newest-first list starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// This many rows after the newest (`?page=`); the database walks past them.
    Offset(i64),
    /// The rows older than the row with this id (`?before=`).
    Before(i64),
    /// The rows newer than the row with this id (`?after=`); still shown newest first.
    After(i64),
}

impl Position {
    /// Whether rows are read oldest first (and turned around afterwards).
    pub fn reads_upward(self) -> bool {
        matches!(self, Position::After(_))
    }

    /// The offset to skip (only `Offset` skips).
    pub fn offset(self) -> i64 {
        match self {
            Position::Offset(offset) => offset,
            Position::Before(_) | Position::After(_) => 0,
        }
    }
}

/// Counting stops past this many rows. A count of every matching row reads all of
/// them, on every view; past this a list says "1,000+".
pub const COUNT_CAP: i64 = 1000;

/// A list's length, exact up to `COUNT_CAP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    /// The number of rows, or `COUNT_CAP` when there are more.
    pub value: i64,
    /// False when there are more rows than `value`.
    pub exact: bool,
}

impl Count {
    /// From the number of rows read with `LIMIT COUNT_CAP + 1`.
    pub fn from_read(read: usize) -> Self {
        let read = read as i64;
        if read > COUNT_CAP {
            Self::more_than_cap()
        } else {
            Self {
                value: read,
                exact: true,
            }
        }
    }

    pub fn more_than_cap() -> Self {
        Self {
            value: COUNT_CAP,
            exact: false,
        }
    }
}

/// The ids of one page, newest first, and whether rows lie beyond either end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub ids: Vec<i64>,
    /// Newer rows exist (a "Newer" link has somewhere to go).
    pub newer: bool,
    /// Older rows exist beyond the last id.
    pub older: bool,
}

impl Window {
    /// How many ids to read for a page of `limit`: one more tells whether there is more.
    pub fn read_limit(limit: i64) -> i64 {
        limit + 1
    }

    /// From at most `read_limit(limit)` ids read in `position`'s order (newest first,
    /// or oldest first for `After`).
    pub fn new(mut ids: Vec<i64>, position: Position, limit: i64) -> Self {
        let more = ids.len() as i64 > limit;
        ids.truncate(limit.max(0) as usize);
        match position {
            Position::Offset(offset) => Self {
                ids,
                newer: offset > 0,
                older: more,
            },
            // The caller came from a newer page (or asked for one past the end).
            Position::Before(_) => Self {
                ids,
                newer: true,
                older: more,
            },
            Position::After(_) => {
                ids.reverse();
                Self {
                    older: !ids.is_empty(),
                    ids,
                    newer: more,
                }
            }
        }
    }
}

/// `rows` (read with `id IN (…)`, in no particular order) in the order of `ids`.
pub fn in_order_of<T>(ids: &[i64], rows: Vec<T>, id: impl Fn(&T) -> i64) -> Vec<T> {
    let mut by_id: std::collections::HashMap<i64, T> = rows.into_iter().map(|r| (id(&r), r)).collect();
    ids.iter().filter_map(|i| by_id.remove(i)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_read_with_one_extra_row_knows_there_is_more() {
        let w = Window::new(vec![9, 8, 7], Position::Offset(0), 2);
        assert_eq!(
            w,
            Window {
                ids: vec![9, 8],
                newer: false,
                older: true
            }
        );
        let w = Window::new(vec![9, 8], Position::Offset(2), 2);
        assert_eq!(
            w,
            Window {
                ids: vec![9, 8],
                newer: true,
                older: false
            }
        );
        let w = Window::new(vec![5, 4, 3], Position::Before(6), 2);
        assert!(w.newer && w.older);
    }

    #[test]
    fn rows_newer_than_a_cursor_are_read_upward_and_shown_newest_first() {
        let w = Window::new(vec![6, 7, 8], Position::After(5), 2);
        assert_eq!(
            w,
            Window {
                ids: vec![7, 6],
                newer: true,
                older: true
            }
        );
        let w = Window::new(vec![], Position::After(5), 2);
        assert!(!w.newer && !w.older);
    }

    #[test]
    fn counts_stop_at_the_cap() {
        assert_eq!(Count::from_read(3), Count { value: 3, exact: true });
        assert_eq!(
            Count::from_read(COUNT_CAP as usize),
            Count {
                value: COUNT_CAP,
                exact: true
            }
        );
        assert_eq!(Count::from_read(COUNT_CAP as usize + 1), Count::more_than_cap());
    }

    #[test]
    fn rows_come_back_in_the_order_of_their_ids() {
        let rows = vec![(3, "c"), (1, "a"), (2, "b")];
        let sorted = in_order_of(&[2, 3, 1, 4], rows, |r| r.0);
        assert_eq!(sorted, vec![(2, "b"), (3, "c"), (1, "a")]);
    }
}
