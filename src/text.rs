//! Escaping text for HTML and URLs. A leaf (nothing from the crate) so that the design
//! system, pages and the server's mail and SMS code can all use it.

/// `&`, `<`, `>`, `"` and `'` as character references.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a value for a query string or form body (RFC 3986 unreserved kept).
pub fn url_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_are_percent_encoded() {
        assert_eq!(super::url_encode("+15555550100"), "%2B15555550100");
        assert_eq!(super::url_encode("Your code: 123 456"), "Your%20code%3A%20123%20456");
        assert_eq!(super::url_encode("/p/x?y=1"), "%2Fp%2Fx%3Fy%3D1");
    }

    #[test]
    fn markup_characters_are_escaped() {
        assert_eq!(super::escape_html(r#"<a href="x">Tom & 'Jo'</a>"#), "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jo&#39;&lt;/a&gt;");
    }
}
