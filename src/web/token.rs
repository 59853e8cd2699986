//! The form's token: when the form was given out and its own key, signed with a key of this
//! process. A post without a token this door gave out is forged; one older than `MAX_AGE` is
//! stale; one sent sooner than `MIN_FILL` after the form was opened is a bot's. The key inside
//! names the request, so the same form sent twice is one request.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::domain::time::Timestamp;

/// How long a form given out may be sent.
pub const MAX_AGE_MS: i64 = 2 * 60 * 60 * 1000;
/// No person fills the form in less.
pub const MIN_FILL_MS: i64 = 3_000;

const VERSION: u8 = 1;
const MAC_LEN: usize = 16;
/// version, issued-at (8), the form's key (16), the signature.
const TOKEN_LEN: usize = 1 + 8 + 16 + MAC_LEN;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Not a token of this door (or of this door before it was restarted).
    Forged,
    Stale,
    TooQuick,
}

pub struct Signer {
    /// HMAC keyed with this process's random key, made once: each token clones it (keying
    /// hashes the key's two pads, two of the five SHA-256 blocks a token's MAC took).
    keyed: Hmac<Sha256>,
}

impl Signer {
    /// A signer with a fresh random key.
    pub fn new() -> std::io::Result<Signer> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|error| std::io::Error::other(error.to_string()))?;
        // HMAC takes a key of any length: this cannot fail
        let keyed = Hmac::<Sha256>::new_from_slice(&key)
            .map_err(|error| std::io::Error::other(error.to_string()))?;
        Ok(Signer { keyed })
    }

    fn mac(&self, body: &[u8]) -> [u8; MAC_LEN] {
        let mut mac = self.keyed.clone();
        mac.update(body);
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; MAC_LEN];
        out.copy_from_slice(&full[..MAC_LEN]);
        out
    }

    /// A token for a form given out at `now`, with a fresh key: the time it was given out,
    /// then 8 random bytes. Keys given out later sort later, so the server's intake tree
    /// takes each new one near its end, in leaves it has just read and written, instead of
    /// anywhere in the tree (sled rewrites the whole leaf a key goes into).
    pub fn issue(&self, now: Timestamp) -> std::io::Result<String> {
        let mut form_key = [0u8; 16];
        form_key[..8].copy_from_slice(&now.0.to_be_bytes());
        getrandom::fill(&mut form_key[8..])
            .map_err(|error| std::io::Error::other(error.to_string()))?;
        Ok(self.issue_with(now, form_key))
    }

    fn issue_with(&self, now: Timestamp, form_key: [u8; 16]) -> String {
        let mut token = Vec::with_capacity(TOKEN_LEN);
        token.push(VERSION);
        token.extend_from_slice(&now.0.to_be_bytes());
        token.extend_from_slice(&form_key);
        let mac = self.mac(&token);
        token.extend_from_slice(&mac);
        hex(&token)
    }

    /// The form's key, when the token is this door's and was given out between `MAX_AGE`
    /// and `MIN_FILL` before `now`.
    pub fn check(&self, token: &str, now: Timestamp) -> Result<[u8; 16], TokenError> {
        let bytes = unhex(token).ok_or(TokenError::Forged)?;
        if bytes.len() != TOKEN_LEN || bytes[0] != VERSION {
            return Err(TokenError::Forged);
        }
        let (body, mac) = bytes.split_at(TOKEN_LEN - MAC_LEN);
        // constant-time comparison through the MAC itself
        let mut expected = self.keyed.clone();
        expected.update(body);
        expected
            .verify_truncated_left(mac)
            .map_err(|_| TokenError::Forged)?;
        let mut issued = [0u8; 8];
        issued.copy_from_slice(&body[1..9]);
        let issued = i64::from_be_bytes(issued);
        let age = now.0.saturating_sub(issued);
        if age > MAX_AGE_MS {
            return Err(TokenError::Stale);
        }
        if age < MIN_FILL_MS {
            return Err(TokenError::TooQuick);
        }
        let mut form_key = [0u8; 16];
        form_key.copy_from_slice(&body[9..25]);
        Ok(form_key)
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

/// Two hex digits a byte, and nothing else (`from_str_radix` also took a sign: `+1`).
fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() != TOKEN_LEN * 2 {
        return None;
    }
    let digit = |byte: u8| char::from(byte).to_digit(16);
    text.as_bytes()
        .chunks_exact(2)
        .map(|pair| Some((digit(pair[0])? << 4 | digit(pair[1])?) as u8))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_given_out_is_taken_between_the_fill_time_and_its_age() {
        let signer = Signer::new().expect("random");
        let token = signer.issue_with(Timestamp(1_000_000), [7; 16]);
        assert_eq!(
            signer.check(&token, Timestamp(1_000_000 + 1_000)),
            Err(TokenError::TooQuick)
        );
        assert_eq!(
            signer.check(&token, Timestamp(1_000_000 + MIN_FILL_MS)),
            Ok([7; 16])
        );
        assert_eq!(
            signer.check(&token, Timestamp(1_000_000 + MAX_AGE_MS + 1)),
            Err(TokenError::Stale)
        );
    }

    #[test]
    fn keys_given_out_later_sort_later_and_differ_within_one_instant() {
        let signer = Signer::new().expect("random");
        let key_at = |at: i64| {
            let token = signer.issue(Timestamp(at)).expect("random");
            signer
                .check(&token, Timestamp(at + MIN_FILL_MS))
                .expect("a token of this door")
        };
        let (first, same, later) = (key_at(1_000), key_at(1_000), key_at(1_001));
        assert_ne!(
            first, same,
            "two forms given out at once have their own keys"
        );
        assert!(
            first < later && same < later,
            "{first:?} {same:?} {later:?}"
        );
    }

    #[test]
    fn a_token_changed_or_of_another_door_is_forged() {
        let signer = Signer::new().expect("random");
        let other = Signer::new().expect("random");
        let token = signer.issue_with(Timestamp(0), [1; 16]);
        let later = Timestamp(MIN_FILL_MS);
        assert_eq!(other.check(&token, later), Err(TokenError::Forged));
        // an earlier issue time written in, to pass the fill time
        let mut changed = token.clone().into_bytes();
        changed[4] = if changed[4] == b'0' { b'1' } else { b'0' };
        let changed = String::from_utf8(changed).expect("ascii");
        assert_eq!(signer.check(&changed, later), Err(TokenError::Forged));
        assert_eq!(signer.check("", later), Err(TokenError::Forged));
        assert_eq!(signer.check("zz", later), Err(TokenError::Forged));
        assert_eq!(
            signer.check(&"é".repeat(41), later),
            Err(TokenError::Forged)
        );
        // a sign before a digit is not hex (it was: `from_str_radix` takes `+1` for 1);
        // capitals are, and write the same bytes
        assert!(token.starts_with("01"));
        assert_eq!(
            signer.check(&format!("+1{}", &token[2..]), later),
            Err(TokenError::Forged)
        );
        assert_eq!(signer.check(&token, later), Ok([1; 16]));
        assert_eq!(signer.check(&token.to_uppercase(), later), Ok([1; 16]));
    }
}
