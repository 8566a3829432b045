//! Account fields — username, e-mail, password, bio, image — and what a registration, a login and a settings
//! change become once valid.

use api_types::{LoginUser, NewUser, UpdateUser};
use unicode_normalization::UnicodeNormalization;

use super::{
    charset::{self, Chars},
    within_length, Blank, FieldErrors, Invalid, Lines,
};

parsed_string! {
    /// A public name: 1–40 characters as sent, without whitespace anywhere (so none around it either), without `/ ?
    /// #` (it appears in profile URLs), and without invisible characters that would let two different names look the
    /// same: control and format (zero-width, bidirectional), nor noncharacters; not only dots (`.` and `..` are path
    /// segments). Kept in Unicode NFC, so two spellings of `é` are one name.
    #[derive(Debug, Clone, PartialEq, Eq)]
    Username
}

impl Username {
    pub const MAX_CHARS: usize = 40;
    /// What a name may not contain, besides [`Username::REFUSED_PUNCTUATION`].
    const REFUSED: &'static [Chars] = &[
        charset::WHITESPACE,
        charset::CONTROL,
        charset::FORMAT,
        charset::NONCHARACTERS,
    ];
    const REFUSED_PUNCTUATION: &'static str = "/?#";

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        within_length("username", raw, Self::MAX_CHARS)?;
        if charset::is_blank(raw) {
            return Err(Invalid::new("username", "can't be blank"));
        }
        let refused = |c: char| {
            Self::REFUSED.iter().any(|set| set.contains(c)) || Self::REFUSED_PUNCTUATION.contains(c)
        };
        if raw.chars().any(refused) {
            return Err(Invalid::new(
                "username",
                "can only contain letters, digits and visible punctuation other than / ? #",
            ));
        }
        if raw.chars().all(|c| c == '.') {
            return Err(Invalid::new("username", "can't be only dots"));
        }
        Ok(Self(raw.nfc().collect()))
    }

    /// The JSON Schema `pattern` of [`Username::parse`] (lengths are `minLength`/`maxLength`).
    #[cfg(test)]
    pub fn pattern() -> String {
        let allowed = charset::class(true, Self::REFUSED, Self::REFUSED_PUNCTUATION);
        let not_a_dot = charset::class(
            true,
            Self::REFUSED,
            &format!("{}.", Self::REFUSED_PUNCTUATION),
        );
        format!("^{allowed}*{not_a_dot}{allowed}*$")
    }

    /// Whether `raw` (a name in a URL) is short enough to be anyone's; a longer one is not looked up.
    pub fn could_exist(raw: &str) -> bool {
        !raw.is_empty() && raw.len() <= Self::MAX_CHARS * 4
    }
}

parsed_string! {
    /// An e-mail address as sent: at most 254 characters, one `@` between a non-empty local part and a domain with a
    /// dot that neither starts nor ends it; no whitespace or control characters anywhere.
    #[derive(Debug, Clone, PartialEq, Eq)]
    Email
}

impl Email {
    pub const MAX_CHARS: usize = 254;
    /// What no part of an address may contain, besides `@` outside its one place.
    const REFUSED: &'static [Chars] = &[charset::WHITESPACE, charset::CONTROL];

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        within_length("email", raw, Self::MAX_CHARS)?;
        if charset::is_blank(raw) {
            return Err(Invalid::new("email", "can't be blank"));
        }
        let valid = match raw.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !raw
                        .chars()
                        .any(|c| Self::REFUSED.iter().any(|set| set.contains(c)))
            }
            None => false,
        };
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Invalid::new("email", "is invalid"))
        }
    }

    /// The JSON Schema `pattern` of [`Email::parse`] (the length is `maxLength`).
    #[cfg(test)]
    pub fn pattern() -> String {
        let part = charset::class(true, Self::REFUSED, "@");
        let edge = charset::class(true, Self::REFUSED, "@.");
        format!("^{part}+@{edge}{part}*\\.{part}*{edge}$")
    }
}

parsed_string! {
    /// A new password: 8–128 characters, not all whitespace, kept exactly as typed (no trimming).
    #[derive(Clone, PartialEq, Eq)]
    Password
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        within_length("password", raw, Self::MAX_CHARS)?;
        if charset::is_blank(raw) {
            Err(Invalid::new("password", "can't be blank"))
        } else if raw.chars().count() < Self::MIN_CHARS {
            Err(Invalid::new(
                "password",
                format!("is too short (minimum is {} characters)", Self::MIN_CHARS),
            ))
        } else {
            Ok(Self(raw.to_owned()))
        }
    }

    /// The JSON Schema `pattern` of [`Password::parse`]: some character is not whitespace (lengths are
    /// `minLength`/`maxLength`).
    #[cfg(test)]
    pub fn pattern() -> String {
        charset::class(true, &[charset::WHITESPACE], "")
    }
}

text_fields! {
    /// A bio: up to 1,000 characters as sent, multi-line; blank means "no bio". Kept trimmed.
    Bio("bio", 1000, Lines::Many, Blank::Empty);
}

parsed_string! {
    /// An avatar URL: `http(s)://` and a host, up to 2,000 characters, no whitespace or control characters; blank
    /// means "no image".
    #[derive(Debug, Clone, PartialEq, Eq)]
    ImageUrl
}

impl ImageUrl {
    pub const MAX_CHARS: usize = 2000;
    /// What no part of a URL may contain.
    const REFUSED: &'static [Chars] = &[charset::WHITESPACE, charset::CONTROL];

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        within_length("image", raw, Self::MAX_CHARS)?;
        if charset::is_blank(raw) {
            return Ok(Self(String::new()));
        }
        let lower = raw.to_ascii_lowercase();
        let has_host = |rest: &str| !rest.is_empty() && !rest.starts_with('/');
        let clean = !raw
            .chars()
            .any(|c| Self::REFUSED.iter().any(|set| set.contains(c)));
        match lower.split_once("://") {
            Some(("http" | "https", rest)) if has_host(rest) && clean => Ok(Self(raw.to_owned())),
            _ => Err(Invalid::new("image", "must be an http(s) URL")),
        }
    }

    /// The JSON Schema `pattern` of [`ImageUrl::parse`] (the length is `maxLength`).
    #[cfg(test)]
    pub fn pattern() -> String {
        let blank = charset::class(false, &[charset::WHITESPACE], "");
        let host = charset::class(true, Self::REFUSED, "/");
        let rest = charset::class(true, Self::REFUSED, "");
        format!("^(?:{blank}*|[hH][tT][tT][pP][sS]?://{host}{rest}*)$")
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

/// A login attempt of plausible size: a valid e-mail (lower-cased, the key for rate limiting) and a password no
/// longer than any that can be set. Checked before anything else happens to them.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The e-mail as typed; looked up case-insensitively.
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
        let email = errors.check(Email::parse(&input.email));
        if input.password.is_empty() {
            errors.add("password", "can't be blank");
        } else if let Err(too_long) =
            within_length("password", &input.password, Password::MAX_CHARS)
        {
            errors.add(too_long.field, too_long.message);
        }
        match email {
            Some(Email(email)) => errors.or(Self {
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
            "a\u{fffe}",
            "a\u{10ffff}",
            "a\u{2029}b",
            "\u{e0001}",
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
            email: "Jake@Example.com".into(),
            password: " secret".into(),
        })
        .expect("valid");
        assert_eq!(
            (ok.email.as_str(), ok.account.as_str(), ok.password.as_str()),
            ("Jake@Example.com", "jake@example.com", " secret")
        );
    }

    #[test]
    fn a_login_needs_a_well_formed_email_and_a_password_no_longer_than_any() {
        for (email, password) in [
            (" jake@example.com", "secret"),
            ("jake", "secret"),
            ("jake@example.com", ""),
            ("jake@example.com", &"p".repeat(Password::MAX_CHARS + 1)),
        ] {
            let login = LoginUser {
                email: email.into(),
                password: password.into(),
            };
            assert!(
                Credentials::try_from(login).is_err(),
                "{email:?} {password:?}"
            );
        }
        let longest = LoginUser {
            email: "jake@example.com".into(),
            password: "p".repeat(Password::MAX_CHARS),
        };
        assert!(Credentials::try_from(longest).is_ok());
    }

    #[test]
    fn usernames_refuse_surrounding_whitespace_instead_of_trimming_it() {
        for padded in ["  jake ", "jake\n", "\u{3000}jake"] {
            assert!(Username::parse(padded).is_err(), "{padded:?}");
        }
        assert_eq!(
            Username::parse("   ").map_err(|e| e.message),
            Err("can't be blank".to_owned())
        );
        assert_eq!(
            Username::parse("").map_err(|e| e.message),
            Err("can't be blank".to_owned())
        );
    }

    #[test]
    fn usernames_are_measured_as_sent() {
        // Each "e\u{301}" is two characters as sent and one after NFC.
        let decomposed = "e\u{301}".repeat(Username::MAX_CHARS / 2 + 1);
        assert!(Username::parse(&decomposed).is_err());
        let fits = "e\u{301}".repeat(Username::MAX_CHARS / 2);
        assert_eq!(
            Username::parse(&fits).map(|u| u.0.chars().count()),
            Ok(Username::MAX_CHARS / 2)
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
            " jake@jake.jake",
            "jake@jake.jake\n",
            "ja\u{0}ke@jake.jake",
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
    fn images_must_be_http_urls_or_blank() {
        assert!(ImageUrl::parse("https://example.com/me.png").is_ok());
        assert!(ImageUrl::parse("HTTP://example.com").is_ok());
        assert_eq!(ImageUrl::parse("").map(|i| i.0), Ok(String::new()));
        assert_eq!(ImageUrl::parse(" \t").map(|i| i.0), Ok(String::new()));
        for bad in [
            " https://example.com/me.png",
            "https://example.com/a b.png",
            "https://example.com/\u{7f}",
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
    fn bios_may_be_blank_or_span_lines_up_to_a_limit_as_sent() {
        assert_eq!(Bio::parse("  ").map(|b| b.0), Ok(String::new()));
        assert_eq!(
            Bio::parse(" line one\r\n\tline two ").map(|b| b.0),
            Ok("line one\r\n\tline two".to_owned())
        );
        assert!(Bio::parse(&"b".repeat(Bio::MAX_CHARS + 1)).is_err());
        assert!(Bio::parse(&" ".repeat(Bio::MAX_CHARS + 1)).is_err());
        assert!(Bio::parse("a\u{0}b").is_err());
    }

    #[test]
    fn password_debug_output_hides_the_password() {
        let password = Password::parse("hunter2hunter2").expect("valid");
        assert_eq!(format!("{password:?}"), "Password(***)");
    }
}
