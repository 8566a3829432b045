//! Display formatting shared by several views.

/// `2026-11-27T07:30:01.805Z` → `November 27, 2026`; anything unparsable is shown as given.
pub fn date(timestamp: &str) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let mut parts = timestamp.get(..10).unwrap_or_default().split('-');
    let (Some(year), Some(month), Some(day)) = (parts.next(), parts.next(), parts.next()) else {
        return timestamp.to_owned();
    };
    let month = month
        .parse::<usize>()
        .ok()
        .and_then(|m| MONTHS.get(m.wrapping_sub(1)));
    match (month, day.parse::<u8>()) {
        (Some(month), Ok(day)) => format!("{month} {day}, {year}"),
        _ => timestamp.to_owned(),
    }
}

/// The avatar to show for a user without one: an inline neutral silhouette, so no third-party host is needed.
pub const DEFAULT_AVATAR: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' fill='%23ddd'/%3E%3Ccircle cx='16' cy='12' r='6' fill='%23aaa'/%3E%3Cpath d='M4 30c2-7 7-10 12-10s10 3 12 10z' fill='%23aaa'/%3E%3C/svg%3E";

/// `image` if the user set one, else [`DEFAULT_AVATAR`].
pub fn avatar(image: Option<&str>) -> String {
    match image {
        Some(url) if !url.trim().is_empty() => url.to_owned(),
        _ => DEFAULT_AVATAR.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_become_readable_dates() {
        assert_eq!(date("2026-11-27T07:30:01.805Z"), "November 27, 2026");
        assert_eq!(date("garbage"), "garbage");
        assert_eq!(date("2026-13-01T00:00:00.000Z"), "2026-13-01T00:00:00.000Z");
    }

    #[test]
    fn users_without_an_image_get_the_inline_avatar() {
        assert_eq!(avatar(None), DEFAULT_AVATAR);
        assert_eq!(avatar(Some(" ")), DEFAULT_AVATAR);
        assert_eq!(avatar(Some("https://x/y.png")), "https://x/y.png");
    }
}
