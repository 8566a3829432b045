//! The OpenAPI document of the public API (api/openapi.json), served as it is written. Its tests hold the
//! document to the code: every validation rule's `pattern`, lengths and bounds accept exactly what the api does.

use axum::{http::header, response::IntoResponse, routing::get, Router};

use crate::state::AppState;

/// The API's contract, compiled in.
const OPENAPI_JSON: &str = include_str!("../../openapi.json");

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/openapi.json",
        get(|| async {
            ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON).into_response()
        }),
    )
}

#[cfg(test)]
mod tests {
    use db_client::{DEFAULT_PAGE_SIZE, MAX_OFFSET, MAX_PAGE_SIZE};
    use serde_json::Value;

    use super::OPENAPI_JSON;
    use crate::domain::{
        article::{Body, CommentBody, Description, TagList, Title},
        charset::probes,
        search, text_pattern,
        user::{Bio, Email, ImageUrl, Password, Username},
        Blank, Invalid, Lines,
    };

    /// A rule's parser, reduced to whether it accepts.
    type Parser = fn(&str) -> Result<(), Invalid>;

    fn document() -> Value {
        serde_json::from_str(OPENAPI_JSON).expect("api/openapi.json is JSON")
    }

    fn schema(name: &str) -> Value {
        let doc = document();
        let schema = &doc["components"]["schemas"][name];
        assert!(schema.is_object(), "no schema {name}");
        schema.clone()
    }

    /// The string keywords of a schema, ready to judge values.
    struct StringRule {
        lengths: std::ops::RangeInclusive<u64>,
        pattern: Option<regex::Regex>,
        nullable: bool,
    }

    impl StringRule {
        fn of(schema: &Value) -> Self {
            Self {
                lengths: schema["minLength"].as_u64().unwrap_or(0)
                    ..=schema["maxLength"].as_u64().unwrap_or(u64::MAX),
                pattern: schema["pattern"]
                    .as_str()
                    .map(|pattern| regex::Regex::new(pattern).expect("the pattern compiles")),
                nullable: schema["type"]
                    .as_array()
                    .is_some_and(|types| types.contains(&Value::from("null"))),
            }
        }

        /// Whether `value` satisfies the rule (`None` is JSON's `null`).
        fn admits(&self, value: Option<&str>) -> bool {
            let Some(text) = value else {
                return self.nullable;
            };
            let chars = u64::try_from(text.chars().count()).unwrap_or(u64::MAX);
            self.lengths.contains(&chars)
                && self
                    .pattern
                    .as_ref()
                    .is_none_or(|pattern| pattern.is_match(text))
        }
    }

    /// Inputs worth trying on a rule: each probe character alone, inside `a…b`, around a word, and in `around`'s
    /// slot (`{}`), plus `extra` and lengths at the edges of `max_chars`.
    fn inputs(around: &str, max_chars: usize, extra: &[&str]) -> Vec<String> {
        let mut inputs: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
        for c in probes() {
            inputs.push(c.to_string());
            inputs.push(format!("a{c}b"));
            inputs.push(format!("{c}word{c}"));
            inputs.push(around.replace("{}", &c.to_string()));
        }
        for n in [max_chars.saturating_sub(1), max_chars, max_chars + 1] {
            inputs.push(around.replace("{}", &"x".repeat(n)));
            inputs.push("x".repeat(n));
            inputs.push(format!(" {}", "x".repeat(n.saturating_sub(1))));
            inputs.push(" ".repeat(n));
        }
        inputs
    }

    fn assert_rule(name: &str, parse: impl Fn(&str) -> Result<(), Invalid>, inputs: &[String]) {
        let rule = StringRule::of(&schema(name));
        for input in inputs {
            assert_eq!(
                rule.admits(Some(input)),
                parse(input).is_ok(),
                "{name} disagrees with the api about {input:?}"
            );
        }
    }

    #[test]
    fn the_openapi_document_describes_every_public_route() {
        let doc = document();
        let paths = doc["paths"].as_object().expect("paths");
        for path in [
            "/users/login",
            "/users",
            "/user",
            "/profiles/{username}",
            "/profiles/{username}/follow",
            "/articles/feed",
            "/articles",
            "/articles/{slug}",
            "/articles/{slug}/comments",
            "/articles/{slug}/comments/{id}",
            "/articles/{slug}/favorite",
            "/tags",
        ] {
            assert!(paths.contains_key(path), "{path} missing from openapi.json");
        }
        assert_eq!(doc["servers"][0]["url"], "/api");
    }

    /// Asserts that schema `name` has `pattern` and admits just what `parse` accepts among `inputs`.
    fn assert_agrees<T>(
        name: &str,
        pattern: String,
        parse: impl Fn(&str) -> Result<T, Invalid>,
        inputs: &[String],
    ) {
        assert_eq!(schema(name)["pattern"], pattern, "{name}");
        assert_rule(name, |s| parse(s).map(drop), inputs);
    }

    #[test]
    fn usernames_in_the_document_are_the_ones_the_api_accepts() {
        let tricky = [
            "", ".", "..", "...", ".a.", "e\u{301}", "José", "a/b", "a?b", "a#b",
        ];
        let inputs = inputs("jo{}e", Username::MAX_CHARS, &tricky);
        assert_agrees("Username", Username::pattern(), Username::parse, &inputs);
    }

    #[test]
    fn emails_in_the_document_are_the_ones_the_api_accepts() {
        let tricky = [
            "a@b.c", "a@b", "@b.c", "a@.b", "a@b.", "a@b..c", "a@@b.c", "a@b@c.d", "a.b@c",
            "a@b.c.", "a@.b.c", "@", "a@.", "a@..", "a@...",
        ];
        let inputs = inputs("jake{}@example.com", Email::MAX_CHARS, &tricky);
        assert_agrees("Email", Email::pattern(), Email::parse, &inputs);
        let domains = inputs
            .iter()
            .map(|s| format!("jake@{s}"))
            .collect::<Vec<_>>();
        assert_rule("Email", |s| Email::parse(s).map(drop), &domains);
    }

    #[test]
    fn passwords_in_the_document_are_the_ones_the_api_accepts() {
        let tricky = ["        ", "       x", "1234567"];
        let inputs = inputs("pass{}word", Password::MAX_CHARS, &tricky);
        assert_agrees("Password", Password::pattern(), Password::parse, &inputs);
        let login = schema("LoginPassword");
        assert_eq!(login["maxLength"], Password::MAX_CHARS);
        assert_eq!(login["minLength"], 1);
    }

    #[test]
    fn texts_in_the_document_are_the_ones_the_api_accepts() {
        for (name, pattern) in [
            ("Title", text_pattern(Lines::One, Blank::Refused)),
            ("Description", text_pattern(Lines::One, Blank::Refused)),
            ("ArticleBody", text_pattern(Lines::Many, Blank::Refused)),
            ("CommentBody", text_pattern(Lines::Many, Blank::Refused)),
            ("Bio", text_pattern(Lines::Many, Blank::Empty)),
            ("Tag", text_pattern(Lines::One, Blank::Empty)),
        ] {
            assert_eq!(schema(name)["pattern"], pattern, "{name}");
        }
        let cases: [(&str, usize, Parser); 5] = [
            ("Title", Title::MAX_CHARS, |s| Title::parse(s).map(drop)),
            ("Description", Description::MAX_CHARS, |s| {
                Description::parse(s).map(drop)
            }),
            ("ArticleBody", Body::MAX_CHARS, |s| Body::parse(s).map(drop)),
            ("CommentBody", CommentBody::MAX_CHARS, |s| {
                CommentBody::parse(s).map(drop)
            }),
            ("Bio", Bio::MAX_CHARS, |s| Bio::parse(s).map(drop)),
        ];
        for (name, max_chars, parse) in cases {
            let inputs = inputs(
                "two{}words",
                max_chars,
                &["", " ", "a\r\nb", "\t", "a\u{85}"],
            );
            assert_rule(name, parse, &inputs);
        }
        let tag = |s: &str| TagList::parse(&[s.to_owned()]).map(drop);
        assert_rule(
            "Tag",
            tag,
            &inputs("ta{}g", TagList::MAX_TAG_CHARS, &["", " \n "]),
        );
    }

    #[test]
    fn images_in_the_document_are_the_ones_the_api_accepts() {
        let tricky = [
            "https://example.com/{}.png",
            "",
            "  ",
            "http://x",
            "HTTPS://x",
            "hTtP://x/y",
            "http:///x",
            "http://",
            "https:/x",
            "ftp://x",
            "javascript:alert(1)",
            "http://x y",
            " http://x",
            "httpss://x",
            "http://a://b",
        ];
        let inputs = inputs("https://example.com/{}.png", ImageUrl::MAX_CHARS, &tricky);
        assert_agrees("ImageUrl", ImageUrl::pattern(), ImageUrl::parse, &inputs);
    }

    #[test]
    fn null_is_allowed_exactly_where_it_clears_a_setting() {
        for (name, nullable) in [
            ("Bio", true),
            ("ImageUrl", true),
            ("Username", false),
            ("Email", false),
            ("Password", false),
            ("Title", false),
        ] {
            assert_eq!(
                StringRule::of(&schema(name)).admits(None),
                nullable,
                "{name}"
            );
        }
    }

    #[test]
    fn page_bounds_and_filters_in_the_document_are_the_apis() {
        let doc = document();
        let parameters = &doc["components"]["parameters"];
        let limit = &parameters["limit"]["schema"];
        assert_eq!(
            (&limit["minimum"], &limit["maximum"], &limit["default"]),
            (&1.into(), &MAX_PAGE_SIZE.into(), &DEFAULT_PAGE_SIZE.into())
        );
        let offset = &parameters["offset"]["schema"];
        assert_eq!(
            (&offset["minimum"], &offset["maximum"]),
            (&0.into(), &MAX_OFFSET.into())
        );
        assert_eq!(
            parameters["tag"]["schema"]["maxLength"],
            TagList::MAX_TAG_CHARS
        );
        assert_eq!(parameters["q"]["schema"]["maxLength"], search::MAX_CHARS);
        for filter in ["author", "favorited"] {
            assert_eq!(
                parameters[filter]["schema"]["maxLength"],
                Username::MAX_CHARS
            );
        }
        assert_eq!(schema("TagList")["maxItems"], TagList::MAX_TAGS);
    }

    #[test]
    fn request_objects_take_no_fields_beyond_their_own() {
        let doc = document();
        for (name, schema) in doc["components"]["schemas"].as_object().expect("schemas") {
            if schema["type"] == "object" {
                assert_eq!(schema["additionalProperties"], false, "{name}");
            }
        }
    }
}
