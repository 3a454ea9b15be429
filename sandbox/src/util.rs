//! Small deterministic helpers: a seeded PRNG, HighLevel-style ids, ISO-8601 time formatting and
//! parsing, and phone/email normalisation.
//!
//! The sandbox avoids `rand` and `chrono` on purpose: the seed data must be byte-identical for the
//! same seed on every machine and every version of those crates, and the few calendar functions
//! needed here are short.

use std::time::{SystemTime, UNIX_EPOCH};

/// SplitMix64: tiny, fast, and good enough for ids and demo data. Not for anything secret.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5EED_0F5A_4DB0_C0DE)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A fraction in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A 20-character alphanumeric id, the shape HighLevel uses for most records.
    pub(crate) fn id20(&mut self) -> String {
        (0..20)
            .map(|_| ALNUM[self.below(ALNUM.len() as u64) as usize] as char)
            .collect()
    }

    /// A 24-hex-digit id, the shape of payments records (Mongo ObjectIds).
    pub(crate) fn hex24(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!("{:016x}{:08x}", a, b >> 32)
    }

    /// A UUID-shaped id (pipeline stages, trace ids).
    pub(crate) fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            ((b >> 48) & 0x3fff) | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

// Howard Hinnant's days-from-civil algorithms (public domain).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Epoch milliseconds of a UTC calendar time.
pub(crate) fn ms_of(y: i64, mo: i64, d: i64, h: i64, mi: i64) -> i64 {
    (days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60) * 1000
}

/// `2026-11-23T09:30:00.000Z`.
pub(crate) fn iso(ms: i64) -> String {
    iso_offset(ms, 0)
}

/// ISO-8601 with a fixed UTC offset in minutes; offset 0 prints `Z` with milliseconds (HighLevel's
/// record timestamps), any other offset prints `±HH:MM` without milliseconds (its calendar times).
pub(crate) fn iso_offset(ms: i64, offset_min: i64) -> String {
    let local = ms + offset_min * 60_000;
    let days = local.div_euclid(86_400_000);
    let rem = local.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s, milli) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    if offset_min == 0 {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
    } else {
        let sign = if offset_min < 0 { '-' } else { '+' };
        let off = offset_min.abs();
        format!(
            "{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}{sign}{:02}:{:02}",
            off / 60,
            off % 60
        )
    }
}

fn num(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.sss]][Z|±HH:MM]` into epoch milliseconds.
pub(crate) fn parse_iso(s: &str) -> Option<i64> {
    let s = s.trim();
    // Dates are ASCII; refusing anything else up front also keeps the byte slicing below safe.
    if s.len() < 10 || !s.is_ascii() {
        return None;
    }
    let (date, rest) = s.split_at(10);
    let mut parts = date.split('-');
    let y = num(parts.next()?)?;
    let mo = num(parts.next()?)?;
    let d = num(parts.next()?)?;
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let mut ms = ms_of(y, mo, d, 0, 0);
    if rest.is_empty() {
        return Some(ms);
    }
    let rest = rest.strip_prefix(['T', ' '])?;
    // Split the time from the zone designator.
    let zone_at = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (time, zone) = rest.split_at(zone_at);
    let mut t = time.split(':');
    let h = num(t.next()?)?;
    let mi = num(t.next()?)?;
    let (sec, milli) = match t.next() {
        None => (0, 0),
        Some(sec) => match sec.split_once('.') {
            None => (num(sec)?, 0),
            Some((a, b)) => {
                let frac = &b[..b.len().min(3)];
                let scale = 10i64.pow(3 - frac.len() as u32);
                (num(a)?, num(frac)? * scale)
            }
        },
    };
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    ms += (h * 3600 + mi * 60 + sec) * 1000 + milli;
    match zone {
        "" | "Z" | "z" => Some(ms),
        z => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let body = &z[1..];
            let (oh, om) = match body.split_once(':') {
                Some((a, b)) => (num(a)?, num(b)?),
                None if body.len() == 4 => (num(&body[..2])?, num(&body[2..])?),
                None => (num(body)?, 0),
            };
            Some(ms - sign * (oh * 60 + om) * 60_000)
        }
    }
}

/// Normalises a phone number to E.164 the way HighLevel stores it (`+1 888-888-8888` →
/// `+18888888888`); `None` when there are too few digits to be a phone number.
pub(crate) fn normalize_phone(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() < 7 || digits.len() > 15 {
        return None;
    }
    if raw.trim_start().starts_with('+') {
        Some(format!("+{digits}"))
    } else if digits.len() == 10 {
        // A bare 10-digit number is taken as North American, as HighLevel does for US locations.
        Some(format!("+1{digits}"))
    } else {
        Some(format!("+{digits}"))
    }
}

/// A deliberately loose email check (something@something.tld), like class-validator's `IsEmail`
/// in spirit: it catches obvious mistakes without rejecting unusual but valid addresses.
pub(crate) fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.starts_with('.')
                && domain.contains('.')
                && !domain.ends_with('.')
                && !s.contains(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_round_trips() {
        let ms = ms_of(2026, 11, 23, 15, 30) + 123;
        assert_eq!(iso(ms), "2026-11-23T15:30:00.123Z");
        assert_eq!(parse_iso(&iso(ms)), Some(ms));
        assert_eq!(iso_offset(ms, -360), "2026-11-23T09:30:00-06:00");
        assert_eq!(parse_iso("2026-11-23T09:30:00-06:00"), Some(ms - 123));
        assert_eq!(parse_iso("2024-02-29"), Some(ms_of(2024, 2, 29, 0, 0)));
        assert_eq!(parse_iso("not a date"), None);
        assert_eq!(parse_iso("2024-13-01"), None);
    }

    #[test]
    fn parse_iso_never_panics_on_garbage() {
        for s in [
            "2026-01-01T10:00:00.ab€",
            "2026-01-01T10:00+1€",
            "2026-01-01T",
            "2026-01-01T10",
            "2026-01-01T10:00:00.",
            "2026-01-01T10:00:00+",
            "€€€€€€€€€€€€",
            "----------",
            "2026-01-01T99:99",
        ] {
            assert_eq!(parse_iso(s), None, "{s}");
        }
    }

    #[test]
    fn phones_normalise() {
        assert_eq!(
            normalize_phone("+1 888-888-8888").as_deref(),
            Some("+18888888888")
        );
        assert_eq!(
            normalize_phone("(512) 555-0100").as_deref(),
            Some("+15125550100")
        );
        assert_eq!(normalize_phone("12"), None);
    }

    #[test]
    fn ids_have_highlevel_shapes() {
        let mut r = Rng::new(1);
        let id = r.id20();
        assert_eq!(id.len(), 20);
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(r.hex24().len(), 24);
        assert_eq!(r.uuid().len(), 36);
        assert_ne!(Rng::new(1).id20(), Rng::new(2).id20());
        assert_eq!(Rng::new(7).id20(), Rng::new(7).id20());
    }
}
