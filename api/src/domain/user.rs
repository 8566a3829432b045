//! Account fields — username, e-mail, password, bio, image — and what a registration, a login and a settings
//! change become once valid.

use api_types::{LoginUser, NewUser, UpdateUser};
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use super::{bounded_text, FieldErrors, Invalid};

/// A public name: 1–40 characters in Unicode NFC (so two spellings of `é` are one name), without whitespace,
/// `/ ? #` (it appears in profile URLs), or invisible characters — control, format (zero-width, bidirectional
/// overrides) and unassigned — that would let two different names look the same; not only dots (`.` and `..`
/// are path segments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub const MAX_CHARS: usize = 40;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let trimmed = bounded_text("username", raw, Self::MAX_CHARS, false)?;
        let name: String = trimmed.nfc().collect();
        let invisible = |c: char| {
            matches!(
                c.general_category(),
                GeneralCategory::Control
                    | GeneralCategory::Format
                    | GeneralCategory::Unassigned
                    | GeneralCategory::PrivateUse
                    | GeneralCategory::Surrogate
                    | GeneralCategory::LineSeparator
                    | GeneralCategory::ParagraphSeparator
            )
        };
        if name
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '/' | '?' | '#') || invisible(c))
        {
            return Err(Invalid::new(
                "username",
                "can only contain letters, digits and visible punctuation other than / ? #",
            ));
        }
        if name.chars().all(|c| c == '.') {
            return Err(Invalid::new("username", "can't be only dots"));
        }
        Ok(Self(name))
    }

    /// Whether `raw` (a name in a URL) is short enough to be anyone's; a longer one is not looked up.
    pub fn could_exist(raw: &str) -> bool {
        !raw.is_empty() && raw.len() <= Self::MAX_CHARS * 4
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

/// A new account, every field valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub username: Username,
    pub email: Email,
    pub password: Password,
}

impl TryFrom<NewUser> for Registration {
    type Error = FieldErrors;

    fn try_from(input: NewUser) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let username = errors.check(Username::parse(&input.username));
        let email = errors.check(Email::parse(&input.email));
        let password = errors.check(Password::parse(&input.password));
        match (username, email, password) {
            (Some(username), Some(email), Some(password)) => errors.or(Self {
                username,
                email,
                password,
            }),
            _ => Err(errors),
        }
    }
}

/// A login attempt of plausible size: an e-mail that could exist (lower-cased, the key for rate limiting) and a
/// password no longer than any that can be set. Checked before anything else happens to them.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The e-mail as typed, trimmed; looked up case-insensitively.
    pub email: String,
    /// The e-mail lower-cased: the account's key for rate limiting.
    pub account: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl TryFrom<LoginUser> for Credentials {
    type Error = FieldErrors;

    fn try_from(input: LoginUser) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let email = errors.check(
            bounded_text("email", &input.email, Email::MAX_CHARS, false).map_err(|e| {
                Invalid::new(
                    "email",
                    if e.message == "can't be blank" {
                        e.message
                    } else {
                        "is invalid".into()
                    },
                )
            }),
        );
        if input.password.is_empty() {
            errors.add("password", "can't be blank");
        } else if input.password.len() > Password::MAX_CHARS * 4
            || input.password.chars().count() > Password::MAX_CHARS
        {
            errors.add("password", "is invalid");
        }
        match email {
            Some(email) => errors.or(Self {
                account: email.to_lowercase(),
                email,
                password: input.password,
            }),
            None => Err(errors),
        }
    }
}

/// A change of the signed-in user's settings: the fields to change, each valid, at least one of them. An empty
/// bio or image clears it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileChanges {
    pub username: Option<Username>,
    pub email: Option<Email>,
    pub password: Option<Password>,
    pub bio: Option<Bio>,
    pub image: Option<ImageUrl>,
}

impl TryFrom<UpdateUser> for ProfileChanges {
    type Error = FieldErrors;

    fn try_from(input: UpdateUser) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        if input == UpdateUser::default() {
            errors.add("user", "must change at least one field");
        }
        let changes = Self {
            username: errors.check_optional(input.username.as_deref(), Username::parse),
            email: errors.check_optional(input.email.as_deref(), Email::parse),
            password: errors.check_optional(input.password.as_deref(), Password::parse),
            bio: errors.check_optional(input.bio.as_deref(), Bio::parse),
            image: errors.check_optional(input.image.as_deref(), ImageUrl::parse),
        };
        errors.or(changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_nfc_and_refuse_invisible_characters_and_dots() {
        let decomposed = "Jose\u{301}";
        assert_eq!(
            Username::parse(decomposed).map(|u| u.0),
            Ok("Jos\u{e9}".to_owned())
        );
        for bad in [
            "ja\u{200b}ke",
            "ja\u{202e}ke",
            "ja\u{2066}ke",
            "\u{feff}jake",
            "ja\u{ad}ke",
            ".",
            "..",
            "...",
            "a\u{e000}",
        ] {
            assert!(Username::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(Username::parse("j.a.k.e").is_ok());
        assert!(Username::parse("ünïcödé🦀").is_ok());
    }

    #[test]
    fn a_login_with_an_oversized_email_is_refused_before_anything_else() {
        let errors = Credentials::try_from(LoginUser {
            email: "x".repeat(1_000_000),
            password: "p".into(),
        })
        .expect_err("too long")
        .into_map();
        assert_eq!(errors.get("email").map(Vec::len), Some(1));
        let ok = Credentials::try_from(LoginUser {
            email: " Jake@Example.com ".into(),
            password: "secret".into(),
        })
        .expect("valid");
        assert_eq!(
            (ok.email.as_str(), ok.account.as_str()),
            ("Jake@Example.com", "jake@example.com")
        );
    }

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
