//! What was typed, as the index compares it: folded words, and phone numbers however they
//! were written (`+7 912 777-12-34`, `8 (912) 777-12-34`, `777-12-34`) as their digits.

/// Lower case, `ё` as `е`: how both the index and the query are compared.
pub(super) fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ё' { 'е' } else { c })
        .collect()
}

/// One folded word of the query: found where some field or word of the request contains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Word {
    pub text: String,
    /// Only ASCII digits: it may also be found in the request's number and phone.
    pub digits: bool,
    pub ascii: bool,
}

impl Word {
    fn of(text: &str) -> Word {
        Word {
            text: text.to_string(),
            digits: text.bytes().all(|b| b.is_ascii_digit()),
            ascii: text.is_ascii(),
        }
    }
}

/// What every request found must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Term {
    Word(Word),
    /// Words that look like (a part of) a phone number, such as `+7 912 777-12-34`: found
    /// where the phone's digits contain `digits` (`8…` and `+7…` alike), or where each of the
    /// words is found as an ordinary word.
    Phone {
        digits: String,
        words: Vec<Word>,
    },
}

impl Term {
    /// How selective the term probably is: the longer, the fewer requests contain it.
    pub fn length(&self) -> usize {
        match self {
            Term::Word(word) => word.text.chars().count(),
            Term::Phone { digits, .. } => digits.len(),
        }
    }
}

/// A query cut into terms; `№124`, `#124` and `124` all name request 124.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Query {
    pub terms: Vec<Term>,
    pub number: Option<u64>,
}

/// Digits and the punctuation people write phone numbers with, and at least one digit.
fn looks_like_phone(word: &str) -> bool {
    word.chars()
        .all(|c| c.is_ascii_digit() || "+-().".contains(c))
        && word.chars().any(|c| c.is_ascii_digit())
}

impl Query {
    pub fn parse(text: &str) -> Query {
        let folded = fold(text);
        let words: Vec<&str> = folded
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .map(|word| word.trim_start_matches(['№', '#']))
            .filter(|word| !word.is_empty())
            .collect();
        let number = match words.as_slice() {
            [only] if only.bytes().all(|b| b.is_ascii_digit()) => only.parse().ok(),
            _ => None,
        };
        let mut terms = Vec::new();
        let mut rest = words.as_slice();
        while let Some((first, after)) = rest.split_first() {
            if !looks_like_phone(first) {
                terms.push(Term::Word(Word::of(first)));
                rest = after;
                continue;
            }
            let run = rest
                .iter()
                .position(|word| !looks_like_phone(word))
                .unwrap_or(rest.len());
            let (phone, after) = rest.split_at(run);
            match phone {
                // a bare number is an ordinary word: it is already looked for in the phone
                [only] if only.bytes().all(|b| b.is_ascii_digit()) => {
                    terms.push(Term::Word(Word::of(only)))
                }
                _ => terms.push(Term::Phone {
                    digits: phone
                        .iter()
                        .flat_map(|word| word.chars())
                        .filter(char::is_ascii_digit)
                        .collect(),
                    words: phone.iter().map(|word| Word::of(word)).collect(),
                }),
            }
            rest = after;
        }
        Query { terms, number }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(digits: &str, words: &[&str]) -> Term {
        Term::Phone {
            digits: digits.into(),
            words: words.iter().map(|word| Word::of(word)).collect(),
        }
    }

    #[test]
    fn phones_written_any_way_become_their_digits() {
        let cases = [
            ("+7 912 777-12-34", "79127771234"),
            ("8 (912) 777-12-34", "89127771234"),
            ("777-12-34", "7771234"),
            ("+79127771234", "79127771234"),
        ];
        for (typed, digits) in cases {
            let words: Vec<&str> = typed.split(' ').collect();
            assert_eq!(
                Query::parse(typed).terms,
                vec![phone(digits, &words)],
                "{typed}"
            );
        }
    }

    #[test]
    fn words_numbers_and_classes_stay_words() {
        let query = Query::parse("Петрова, 5А №43 912 345 оценок");
        assert_eq!(
            query.terms,
            vec![
                Term::Word(Word::of("петрова")),
                Term::Word(Word::of("5а")),
                // "№43" is the number 43, then a phone-like run of two numbers
                phone("43912345", &["43", "912", "345"]),
                Term::Word(Word::of("оценок")),
            ]
        );
        assert_eq!(query.number, None);
        assert_eq!(Query::parse("№43").number, Some(43));
        assert_eq!(Query::parse("43").terms, vec![Term::Word(Word::of("43"))]);
        assert_eq!(Query::parse("# 43").number, Some(43));
        assert_eq!(Query::parse("+43").number, None);
    }
}
