//! Words that recur in descriptions, kept free of names, contacts and psych requests.

use std::collections::{BTreeMap, BTreeSet};

use super::Tally;
use crate::domain::request::{Category, Request, Status};

/// A word must appear in at least this many different requests.
const MIN_REQUESTS: u32 = 3;
/// Shorter words (in letters) are skipped.
const MIN_LETTERS: usize = 4;
/// How many words the report keeps.
const MAX_WORDS: usize = 15;

/// Function words and politeness of four letters or more, after ё→е.
#[rustfmt::skip]
const STOPWORDS: &[&str] = &[
    "более", "будет", "будто", "будут", "были", "было", "быть", "вами", "весь", "вообще", "всегда",
    "всего", "всем", "всех", "вчера", "где-то", "даже", "если", "есть", "зачем", "здесь",
    "здравствуйте", "иногда", "как-то", "какая", "какие", "какой", "какой-то", "когда", "кого",
    "которая", "которого", "котором", "которую", "которые", "который", "кто-то", "либо", "между",
    "менее", "меня", "мной", "могу", "может", "можно", "надо", "нами", "него", "нельзя", "нему",
    "никак", "ними", "ничего", "нужно", "однако", "около", "опять", "очень", "пожалуйста", "пока",
    "после", "потом", "потому", "почему", "просим", "прошу", "сама", "сами", "само", "своего",
    "своей", "свой", "свою", "сегодня", "сейчас", "снова", "спасибо", "такая", "также", "такие",
    "такой", "тогда", "того", "тоже", "только", "хотя", "хочу", "чего", "через", "что-то", "чтобы",
    "этим", "этих", "этого", "этой", "этом", "этот",
];

/// Words found in at least [`MIN_REQUESTS`] different requests, most frequent first (ties
/// alphabetical), at most fifteen.
///
/// Psych requests are never read, nor cancelled ones (duplicates, spam). Each word is lowercased with ё→е; skipped are words shorter
/// than four letters, stopwords, anything with a digit or `@` (phones, emails, numbers), anything
/// that is not letters and hyphens (links), capitalised words that do not start a sentence
/// (likely names), and any word of any caller's name among `all` (names at a sentence's start).
pub(super) fn recurring_words(week: &[&Request], all: &[Request]) -> Vec<Tally<String>> {
    let names: BTreeSet<String> = all
        .iter()
        .flat_map(|request| request.caller.name.split(|c: char| !c.is_alphabetic()))
        .filter(|word| !word.is_empty())
        .map(normalise)
        .collect();
    let mut found: BTreeMap<String, u32> = BTreeMap::new();
    let counted = week
        .iter()
        .filter(|r| r.category != Category::Psych && r.status != Status::Cancelled);
    for request in counted {
        let words: BTreeSet<String> = words_of(&request.description)
            .into_iter()
            .filter(|word| !names.contains(word))
            .collect();
        for word in words {
            *found.entry(word).or_default() += 1;
        }
    }
    let mut recurring: Vec<Tally<String>> = found
        .into_iter()
        .filter(|(_, count)| *count >= MIN_REQUESTS)
        .map(|(key, count)| Tally { key, count })
        .collect();
    // stable: ties keep the map's alphabetical order
    recurring.sort_by_key(|tally| std::cmp::Reverse(tally.count));
    recurring.truncate(MAX_WORDS);
    recurring
}

/// The words of one description that may be counted, normalised.
fn words_of(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for line in text.lines() {
        let mut sentence_start = true;
        for token in line.split_whitespace() {
            let starts = sentence_start;
            sentence_start = ends_sentence(token);
            if token.contains('@') || token.chars().any(|c| c.is_ascii_digit()) {
                continue;
            }
            let word = token.trim_matches(|c: char| !c.is_alphabetic());
            if word.is_empty() || !word.chars().all(|c| c.is_alphabetic() || c == '-') {
                continue;
            }
            if !starts && word.chars().next().is_some_and(char::is_uppercase) {
                continue;
            }
            let word = normalise(word);
            let letters = word.chars().filter(|c| c.is_alphabetic()).count();
            if letters >= MIN_LETTERS && !STOPWORDS.contains(&word.as_str()) {
                words.push(word);
            }
        }
    }
    words
}

/// A token ending in `.`, `!`, `?` or `…`, perhaps inside closing quotes or brackets.
fn ends_sentence(token: &str) -> bool {
    token
        .trim_end_matches(['»', '"', ')', '”', '\''])
        .ends_with(['.', '!', '?', '…'])
}

fn normalise(word: &str) -> String {
    word.to_lowercase().replace('ё', "е")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_contacts_numbers_and_short_words_are_dropped() {
        let words = words_of(
            "Не открывается дневник у сына, звонила Марии Петровне 8-912-345-67-89 и \
             писала на petrova@mail.ru. Дневник снова «не работает»!\nЁлка тоже",
        );
        assert_eq!(
            words,
            [
                "открывается",
                "дневник",
                "сына",
                "звонила",
                "писала",
                "дневник",
                "работает",
                "елка"
            ]
        );
    }

    #[test]
    fn a_link_is_not_a_word() {
        assert!(words_of("зайдите school.ru/login")
            .iter()
            .all(|w| w == "зайдите"));
    }
}
