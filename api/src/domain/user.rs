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
    fn password_debug_output_hides_the_password() {
        let password = Password::parse("hunter2hunter2").expect("valid");
        assert_eq!(format!("{password:?}"), "Password(***)");
    }
}
