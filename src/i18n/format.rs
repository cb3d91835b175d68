//! Digits and digit grouping.

use super::Lang;

/// `text` with its ASCII digits in `lang`'s digits (Bengali ০–৯).
pub fn digits(lang: Lang, text: &str) -> String {
    match lang {
        Lang::En => text.to_string(),
        Lang::Bn => text
            .chars()
            .map(|c| match c.to_digit(10) {
                Some(d) if c.is_ascii_digit() => char::from_u32('০' as u32 + d).unwrap_or(c),
                _ => c,
            })
            .collect(),
    }
}

/// The Indian grouping used in Bangladesh (last three digits, then twos) applied to the
/// whole-number part of a plain ASCII figure: `1234567.5` → `12,34,567.5`. Anything not
/// a plain figure is returned as it is.
pub fn group(figure: &str) -> String {
    let (sign, rest) = match figure.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", figure),
    };
    let (whole, fraction) = match rest.find('.') {
        Some(dot) => rest.split_at(dot),
        None => (rest, ""),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return figure.to_string();
    }
    let mut out = String::with_capacity(figure.len() + whole.len() / 2);
    let (head, last3) = whole.split_at(whole.len().saturating_sub(3));
    let first = head.len() % 2;
    for (i, c) in head.chars().enumerate() {
        if i > 0 && (i + 2 - first) % 2 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !head.is_empty() {
        out.push(',');
    }
    out.push_str(last3);
    format!("{sign}{out}{fraction}")
}

#[cfg(test)]
mod tests {
    use super::group;

    #[test]
    fn groups_of_two_after_the_last_three() {
        assert_eq!(group("1"), "1");
        assert_eq!(group("1000"), "1,000");
        assert_eq!(group("100000"), "1,00,000");
        assert_eq!(group("1234567.89"), "12,34,567.89");
        assert_eq!(group("-12345678"), "-1,23,45,678");
        assert_eq!(group("n/a"), "n/a");
    }
}
