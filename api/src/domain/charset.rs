//! The character classes input rules are made of, written out as code-point ranges: the api's checks and the
//! `pattern`s of api/openapi.json are both built from these tables, so the two cannot disagree (a test holds the
//! document to them).

use std::cmp::Ordering;

/// A set of characters: inclusive code-point ranges, ascending and apart.
#[derive(Debug, Clone, Copy)]
pub struct Chars(&'static [(u32, u32)]);

impl Chars {
    pub fn contains(self, c: char) -> bool {
        let c = u32::from(c);
        self.0
            .binary_search_by(|&(first, last)| {
                if last < c {
                    Ordering::Less
                } else if first > c {
                    Ordering::Greater
                } else {
                    Ordering::Equal
                }
            })
            .is_ok()
    }
}

/// Unicode `White_Space`: what `char::is_whitespace` and `str::trim` go by.
pub const WHITESPACE: Chars = Chars(&[
    (0x09, 0x0D),
    (0x20, 0x20),
    (0x85, 0x85),
    (0xA0, 0xA0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x2028, 0x2029),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
]);

/// General category Cc: what `char::is_control` goes by.
pub const CONTROL: Chars = Chars(&[(0x00, 0x1F), (0x7F, 0x9F)]);

/// Cc without tab, line feed and carriage return: what multi-line text refuses.
pub const CONTROL_BUT_LINE_BREAKS: Chars =
    Chars(&[(0x00, 0x08), (0x0B, 0x0C), (0x0E, 0x1F), (0x7F, 0x9F)]);

/// General category Cf as of Unicode 18: invisible characters such as zero-width spaces, joiners and
/// bidirectional overrides.
pub const FORMAT: Chars = Chars(&[
    (0xAD, 0xAD),
    (0x600, 0x605),
    (0x61C, 0x61C),
    (0x6DD, 0x6DD),
    (0x70F, 0x70F),
    (0x890, 0x891),
    (0x8E2, 0x8E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
]);

/// The 66 noncharacters, reserved by Unicode for internal use and never to be interchanged.
pub const NONCHARACTERS: Chars = Chars(&[
    (0xFDD0, 0xFDEF),
    (0xFFFE, 0xFFFF),
    (0x1FFFE, 0x1FFFF),
    (0x2FFFE, 0x2FFFF),
    (0x3FFFE, 0x3FFFF),
    (0x4FFFE, 0x4FFFF),
    (0x5FFFE, 0x5FFFF),
    (0x6FFFE, 0x6FFFF),
    (0x7FFFE, 0x7FFFF),
    (0x8FFFE, 0x8FFFF),
    (0x9FFFE, 0x9FFFF),
    (0xAFFFE, 0xAFFFF),
    (0xBFFFE, 0xBFFFF),
    (0xCFFFE, 0xCFFFF),
    (0xDFFFE, 0xDFFFF),
    (0xEFFFE, 0xEFFFF),
    (0xFFFFE, 0xFFFFF),
    (0x10FFFE, 0x10FFFF),
]);

/// Whether every character of `text` is whitespace (so also when it is empty).
pub fn is_blank(text: &str) -> bool {
    text.chars().all(|c| WHITESPACE.contains(c))
}

/// A regular-expression character class, as ECMA-262 (JSON Schema), Python's `re` and Rust's `regex` all read it:
/// the characters of `sets` and `extra`, or with `negated` every other one. Characters are written as themselves
/// (api/openapi.json escapes them as JSON `\uXXXX`), so no engine's escape syntax is involved.
#[cfg(test)]
pub fn class(negated: bool, sets: &[Chars], extra: &str) -> String {
    let mut ranges: Vec<(u32, u32)> = sets
        .iter()
        .flat_map(|set| set.0.iter().copied())
        .chain(extra.chars().map(|c| (u32::from(c), u32::from(c))))
        .collect();
    ranges.sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
    for (first, last) in ranges {
        match merged.last_mut() {
            Some(previous) if first <= previous.1.saturating_add(1) => {
                previous.1 = previous.1.max(last);
            }
            _ => merged.push((first, last)),
        }
    }
    let mut class = String::from(if negated { "[^" } else { "[" });
    for (first, last) in merged {
        push_class_char(&mut class, first);
        if last > first {
            if last > first + 1 {
                class.push('-');
            }
            push_class_char(&mut class, last);
        }
    }
    class.push(']');
    class
}

#[cfg(test)]
fn push_class_char(class: &mut String, code: u32) {
    // The tables hold no surrogates, so every code point in them is a char.
    if let Some(c) = char::from_u32(code) {
        if matches!(c, '\\' | ']' | '[' | '^' | '-') {
            class.push('\\');
        }
        class.push(c);
    }
}

/// Characters worth trying against a rule made of these tables: all of the first 12,544 (Latin to CJK
/// punctuation), both ends of every range of every table and their neighbours, and every 251st of the rest.
#[cfg(test)]
pub(crate) fn probes() -> Vec<char> {
    let tables = [
        WHITESPACE,
        CONTROL,
        CONTROL_BUT_LINE_BREAKS,
        FORMAT,
        NONCHARACTERS,
    ];
    let edges = tables
        .iter()
        .flat_map(|t| t.0.iter())
        .flat_map(|&(first, last)| [first.saturating_sub(1), first, last, last.saturating_add(1)]);
    let mut codes: Vec<u32> = (0..0x3100)
        .chain(edges)
        .chain((0x3100..=u32::from(char::MAX)).step_by(251))
        .collect();
    codes.sort_unstable();
    codes.dedup();
    codes.into_iter().filter_map(char::from_u32).collect()
}

#[cfg(test)]
mod tests {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

    use super::*;

    fn every_char() -> impl Iterator<Item = char> {
        (0..=u32::from(char::MAX)).filter_map(char::from_u32)
    }

    #[test]
    fn the_tables_are_what_rust_and_unicode_say_they_are() {
        for c in every_char() {
            let category = c.general_category();
            assert_eq!(WHITESPACE.contains(c), c.is_whitespace(), "{c:?}");
            assert_eq!(CONTROL.contains(c), c.is_control(), "{c:?}");
            assert_eq!(
                CONTROL_BUT_LINE_BREAKS.contains(c),
                c.is_control() && !matches!(c, '\t' | '\n' | '\r'),
                "{c:?}"
            );
            assert_eq!(
                FORMAT.contains(c),
                category == GeneralCategory::Format,
                "{c:?}"
            );
            let code = u32::from(c);
            assert_eq!(
                NONCHARACTERS.contains(c),
                (0xFDD0..=0xFDEF).contains(&code) || code & 0xFFFE == 0xFFFE,
                "{c:?}"
            );
            if matches!(
                category,
                GeneralCategory::LineSeparator | GeneralCategory::ParagraphSeparator
            ) {
                assert!(WHITESPACE.contains(c), "{c:?} is a separator");
            }
        }
    }

    #[test]
    fn classes_merge_ranges_and_escape_what_a_class_would_read_as_syntax() {
        assert_eq!(class(false, &[CONTROL], ""), "[\0-\u{1f}\u{7f}-\u{9f}]");
        assert_eq!(class(true, &[], "-a]b^\\"), r"[^\-\\-\^ab]");
        assert_eq!(
            class(true, &[CONTROL_BUT_LINE_BREAKS], "\t\n\r"),
            "[^\0-\u{1f}\u{7f}-\u{9f}]"
        );
    }

    #[test]
    fn a_class_matches_exactly_its_characters() {
        let negated = regex::Regex::new(&format!(
            "^{}$",
            class(true, &[WHITESPACE, FORMAT, NONCHARACTERS], "#")
        ))
        .expect("valid class");
        for c in probes() {
            let inside = WHITESPACE.contains(c)
                || FORMAT.contains(c)
                || NONCHARACTERS.contains(c)
                || c == '#';
            assert_eq!(negated.is_match(&c.to_string()), !inside, "{c:?}");
        }
    }
}
