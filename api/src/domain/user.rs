//! Account fields: username, e-mail, password.

use super::{bounded_text, Invalid};

/// A public name: 1–40 characters, no whitespace or `/` (it appears in profile URLs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub const MAX_CHARS: usize = 40;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let name = bounded_text("username", raw, Self::MAX_CHARS, false)?;
        if name
            .chars()
            .any(|c| c.is_whitespace() || c == '/' || c == '?' || c == '#')
        {
            return Err(Invalid::new(
                "username",
                "can only contain letters, digits and punctuation other than / ? #",
            ));
        }
        Ok(Self(name))
    }
}

impl AsRef<str> for Username {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// An e-mail address: one `@` between a non-empty local part and a dotted domain, no whitespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX_CHARS: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let email = bounded_text("email", raw, Self::MAX_CHARS, false)?;
        let valid = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !email.chars().any(char::is_whitespace)
            }
            None => false,
        };
        if valid {
            Ok(Self(email))
        } else {
            Err(Invalid::new("email", "is invalid"))
        }
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A new password: 8–128 characters, kept exactly as typed (no trimming).
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let chars = raw.chars().count();
        if raw.trim().is_empty() {
            Err(Invalid::new("password", "can't be blank"))
        } else if chars < Self::MIN_CHARS {
            Err(Invalid::new(
                "password",
                format!("is too short (minimum is {} characters)", Self::MIN_CHARS),
            ))
        } else if chars > Self::MAX_CHARS {
            Err(Invalid::new(
                "password",
                format!("is too long (maximum is {} characters)", Self::MAX_CHARS),
            ))
        } else {
            Ok(Self(raw.to_owned()))
        }
    }
}

impl AsRef<str> for Password {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A bio: up to 1,000 characters, multi-line; empty means "no bio".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bio(String);

impl Bio {
    pub const MAX_CHARS: usize = 1000;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.trim().is_empty() {
            return Ok(Self(String::new()));
        }
        super::bounded_text("bio", raw, Self::MAX_CHARS, true).map(Self)
    }
}

impl AsRef<str> for Bio {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// An avatar URL: `http(s)://…`, up to 2,000 characters; empty means "no image".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageUrl(String);

impl ImageUrl {
    pub const MAX_CHARS: usize = 2000;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.trim().is_empty() {
            return Ok(Self(String::new()));
        }
        let url = super::bounded_text("image", raw, Self::MAX_CHARS, false)?;
        let lower = url.to_ascii_lowercase();
        let has_host = |rest: &str| !rest.is_empty() && !rest.starts_with('/');
        match lower.split_once("://") {
            Some(("http" | "https", rest))
                if has_host(rest) && !url.contains(char::is_whitespace) =>
            {
                Ok(Self(url))
            }
            _ => Err(Invalid::new("image", "must be an http(s) URL")),
        }
    }
}

impl AsRef<str> for ImageUrl {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_trimmed_and_must_not_be_blank() {
        assert_eq!(
            Username::parse("  jake ").map(|u| u.0),
            Ok("jake".to_owned())
        );
        assert_eq!(
            Username::parse("   ").map_err(|e| e.message),
            Err("can't be blank".to_owned())
        );
    }

    #[test]
    fn usernames_cannot_break_profile_urls() {
        for bad in ["a b", "a/b", "a?b", "a#b"] {
            assert!(Username::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(Username::parse("celeb_jake-1.x").is_ok());
    }

    #[test]
    fn usernames_have_a_maximum_length() {
        assert!(Username::parse(&"x".repeat(Username::MAX_CHARS)).is_ok());
        assert!(Username::parse(&"x".repeat(Username::MAX_CHARS + 1)).is_err());
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        for good in ["jake@jake.jake", "a.b+c@example.co.uk"] {
            assert!(Email::parse(good).is_ok(), "{good:?} should parse");
        }
        for bad in [
            "",
            "jake",
            "@x.y",
            "jake@",
            "jake@localhost",
            "a@b@c.d",
            "a b@c.d",
            "a@.c",
            "a@c.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn passwords_keep_surrounding_spaces_and_have_bounds() {
        assert_eq!(
            Password::parse(" secret12 ").map(|p| p.0),
            Ok(" secret12 ".to_owned())
        );
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"p".repeat(129)).is_err());
        assert!(Password::parse("        ").is_err());
    }

    #[test]
    fn images_must_be_http_urls_or_empty() {
        assert!(ImageUrl::parse("https://example.com/me.png").is_ok());
        assert_eq!(ImageUrl::parse("").map(|i| i.0), Ok(String::new()));
        for bad in [
            "javascript:alert(1)",
            "data:image/png;base64,AAA",
            "ftp://x/y",
            "https://",
            "http:///x",
        ] {
            assert!(ImageUrl::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn bios_may_be_empty_or_span_lines_up_to_a_limit() {
        assert_eq!(Bio::parse("  ").map(|b| b.0), Ok(String::new()));
        assert!(Bio::parse("line one\nline two").is_ok());
        assert!(Bio::parse(&"b".repeat(Bio::MAX_CHARS + 1)).is_err());
    }

    #[test]
    fn password_debug_output_hides_the_password() {
        let password = Password::parse("hunter2hunter2").expect("valid");
        assert_eq!(format!("{password:?}"), "Password(***)");
    }
}
