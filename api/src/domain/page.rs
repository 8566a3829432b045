//! Which page of a list to answer: `limit` and `offset`, parsed from the query string where they arrive as text
//! (so a bad one is a 422 naming it, not a serde message).

use db_client::{DEFAULT_PAGE_SIZE, MAX_OFFSET, MAX_PAGE_SIZE};

use super::{FieldErrors, Invalid};

/// Items per page: 1 to [`MAX_PAGE_SIZE`], [`DEFAULT_PAGE_SIZE`] by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(u32);

impl Limit {
    pub fn parse(raw: Option<&str>) -> Result<Self, Invalid> {
        match raw.map(str::parse::<u32>) {
            None => Ok(Self(DEFAULT_PAGE_SIZE)),
            Some(Ok(n)) if (1..=MAX_PAGE_SIZE).contains(&n) => Ok(Self(n)),
            Some(_) => Err(Invalid::new(
                "limit",
                format!("must be a whole number from 1 to {MAX_PAGE_SIZE}"),
            )),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// Items to skip: 0 to [`MAX_OFFSET`], so no page walks more rows than that (narrow a list with a filter to
/// reach further).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offset(u64);

impl Offset {
    pub fn parse(raw: Option<&str>) -> Result<Self, Invalid> {
        match raw.map(str::parse::<u64>) {
            None => Ok(Self(0)),
            Some(Ok(n)) if n <= MAX_OFFSET => Ok(Self(n)),
            Some(_) => Err(Invalid::new(
                "offset",
                format!("must be a whole number from 0 to {MAX_OFFSET}"),
            )),
        }
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

/// A page: both bounds, valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: Limit,
    pub offset: Offset,
}

impl Page {
    /// Both bounds, or every error among them.
    pub fn parse(limit: Option<&str>, offset: Option<&str>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        match Self::check(&mut errors, limit, offset) {
            Some(page) => errors.or(page),
            None => Err(errors),
        }
    }

    /// Both bounds, recording what is wrong with them in `errors` (beside other fields of the same query).
    pub fn check(
        errors: &mut FieldErrors,
        limit: Option<&str>,
        offset: Option<&str>,
    ) -> Option<Self> {
        let limit = errors.check(Limit::parse(limit));
        let offset = errors.check(Offset::parse(offset));
        Some(Self {
            limit: limit?,
            offset: offset?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_default_to_twenty_and_are_bounded() {
        assert_eq!(Limit::parse(None).map(Limit::get), Ok(DEFAULT_PAGE_SIZE));
        assert_eq!(
            Limit::parse(Some(&MAX_PAGE_SIZE.to_string())).map(Limit::get),
            Ok(MAX_PAGE_SIZE)
        );
        assert_eq!(Limit::parse(Some("1")).map(Limit::get), Ok(1));
        let over = (MAX_PAGE_SIZE + 1).to_string();
        for bad in ["0", "-1", "x", "", "1.0", " 5", &over, "99999999999"] {
            assert!(Limit::parse(Some(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn offsets_are_bounded() {
        assert_eq!(Offset::parse(None).map(Offset::get), Ok(0));
        assert_eq!(
            Offset::parse(Some(&MAX_OFFSET.to_string())).map(Offset::get),
            Ok(MAX_OFFSET)
        );
        assert!(Offset::parse(Some(&(MAX_OFFSET + 1).to_string())).is_err());
        assert!(Offset::parse(Some("-5")).is_err());
    }

    #[test]
    fn both_bad_bounds_are_reported_together() {
        let errors = Page::parse(Some("0"), Some("x"))
            .expect_err("bad")
            .into_map();
        assert_eq!(
            errors.keys().copied().collect::<Vec<_>>(),
            ["limit", "offset"]
        );
    }
}
