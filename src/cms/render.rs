//! Markdown to the HTML readers get (server only). One function, [`render`], makes it for
//! the editor's live preview, for saving an article and for the demo seeder, so a preview is
//! exactly what will be published. pulldown-cmark parses; ammonia then keeps only an
//! allow-list of tags and attributes: no script, event handler, `style`, `javascript:` (or
//! any scheme but http, https and mailto) can reach a reader, whatever was typed, raw HTML
//! included. Headings get `id` anchors; images load lazily.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};
use std::{collections::HashSet, sync::LazyLock};

/// Prefix of every `id` in an article body: the ones made for headings carry it, and
/// ammonia adds it to any other, so an article can never take an id the page uses.
pub const ID_PREFIX: &str = "section-";

/// Words a reader gets through in a minute, for "N min read".
const WORDS_PER_MINUTE: usize = 200;

static SANITISER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .add_tag_attributes("h1", &["id"])
        .add_tag_attributes("h2", &["id"])
        .add_tag_attributes("h3", &["id"])
        .add_tag_attributes("h4", &["id"])
        .add_tag_attributes("h5", &["id"])
        .add_tag_attributes("h6", &["id"])
        .id_prefix(Some(ID_PREFIX))
        .set_tag_attribute_value("img", "loading", "lazy")
        .set_tag_attribute_value("img", "decoding", "async")
        .strip_comments(true);
    builder
});

/// The sanitised HTML of an article's Markdown.
pub fn render(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_SMART_PUNCTUATION;
    let mut events: Vec<Event<'_>> = Parser::new_ext(markdown, options).collect();
    anchor_headings(&mut events);
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    SANITISER.clean(&html).to_string()
}

/// Gives each heading an id from its text (`section-cleaning`), unique within the article.
fn anchor_headings(events: &mut [Event<'_>]) {
    let mut used: HashSet<String> = HashSet::new();
    for start in 0..events.len() {
        if !matches!(events[start], Event::Start(Tag::Heading { .. })) {
            continue;
        }
        let mut text = String::new();
        for event in &events[start + 1..] {
            match event {
                Event::End(TagEnd::Heading(_)) => break,
                Event::Text(t) | Event::Code(t) => text.push_str(t),
                _ => {}
            }
        }
        let base = crate::catalog::types::Slug::from_name(&text).map_or_else(|| "part".to_owned(), |s| s.as_str().chars().take(60).collect());
        let base = base.trim_end_matches('-').to_owned();
        let mut id = format!("{ID_PREFIX}{base}");
        let mut n = 2;
        while !used.insert(id.clone()) {
            id = format!("{ID_PREFIX}{base}-{n}");
            n += 1;
        }
        if let Event::Start(Tag::Heading { id: heading_id, .. }) = &mut events[start] {
            *heading_id = Some(CowStr::from(id));
        }
    }
}

/// Minutes a reader needs for `markdown`, at least one.
pub fn reading_minutes(markdown: &str) -> i32 {
    let words = markdown.split_whitespace().filter(|w| w.chars().any(char::is_alphanumeric)).count();
    words.div_ceil(WORDS_PER_MINUTE).max(1) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_formatting_is_kept() {
        let html = render(
            "Intro with **bold**, *italic*, `code`, ~~gone~~ and a [link](https://example.com/care).\n\n\
             ## Cleaning\n\n- one\n- two\n\n1. first\n2. second\n\n> A quote.\n\n\
             ```\nlet x = 1;\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n![A bag](/media/demo/article-1.svg \"Bag\")\n\n---\n\n<kbd>Ctrl</kbd> and H<sub>2</sub>O",
        );
        for kept in [
            "<strong>bold</strong>",
            "<em>italic</em>",
            "<code>code</code>",
            "<del>gone</del>",
            "<a href=\"https://example.com/care\" rel=\"noopener noreferrer\">link</a>",
            "<h2 id=\"section-cleaning\">Cleaning</h2>",
            "<ul>",
            "<li>one</li>",
            "<ol>",
            "<blockquote>",
            "<pre><code>let x = 1;",
            "<table>",
            "<td>2</td>",
            "<hr>",
            "<kbd>Ctrl</kbd>",
            "<sub>2</sub>",
        ] {
            assert!(html.contains(kept), "{kept} in {html}");
        }
        assert!(html.contains("<img src=\"/media/demo/article-1.svg\" alt=\"A bag\" title=\"Bag\""), "{html}");
        assert!(html.contains("loading=\"lazy\""), "{html}");
    }

    #[test]
    fn headings_get_unique_anchors() {
        let html = render("# Care guide\n\n## Care guide\n\n### `wax` it!\n\n## ???");
        assert!(html.contains("<h1 id=\"section-care-guide\">"), "{html}");
        assert!(html.contains("<h2 id=\"section-care-guide-2\">"), "{html}");
        assert!(html.contains("<h3 id=\"section-wax-it\">"), "{html}");
        assert!(html.contains("<h2 id=\"section-part\">"), "{html}");
        // An id typed as raw HTML is kept inside the article's own namespace.
        assert!(render("<h2 id=\"main\">x</h2>").contains("id=\"section-main\""));
    }

    #[test]
    fn smart_punctuation_and_escaping() {
        assert!(render("It's \"fine\" -- and 1 < 2 & 3 > 2").contains("It’s “fine” – and 1 &lt; 2 &amp; 3 &gt; 2"));
    }

    #[test]
    fn reading_time_is_words_over_two_hundred() {
        assert_eq!(reading_minutes(""), 1);
        assert_eq!(reading_minutes(&"word ".repeat(200)), 1);
        assert_eq!(reading_minutes(&"word ".repeat(201)), 2);
        assert_eq!(reading_minutes(&format!("{} ## - * ---", "word ".repeat(400))), 2, "markup is not words");
    }
}
