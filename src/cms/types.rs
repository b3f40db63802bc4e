//! What crosses the wire for the journal and the article editor, and the editor's rules
//! (`ArticleInput::parse`): pure, so the server checks them and tests read them directly.

use crate::{
    catalog::types::Slug,
    error::{AppError, FieldErrors},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const TITLE_MAX: usize = 200;
pub const EXCERPT_MAX: usize = 300;
/// What search engines show of a description (the schema holds the same bound).
pub const SEO_DESCRIPTION_MAX: usize = 170;
/// A long read is some 10,000 words; this leaves room for tables and links.
pub const BODY_MAX: usize = 100_000;
pub const TAG_MAX: usize = 40;
pub const TAGS_MAX: usize = 10;

/// Where an article stands for readers at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ArticleState {
    Draft,
    /// Published with a time still to come: it goes public then, by itself.
    Scheduled,
    Published,
}

impl ArticleState {
    /// From the stored status and time, at `now`.
    pub fn of(status: &str, published_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Self {
        match (status, published_at) {
            ("published", Some(at)) if at > now => Self::Scheduled,
            ("published", _) => Self::Published,
            _ => Self::Draft,
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "draft" => Some(Self::Draft),
            "scheduled" => Some(Self::Scheduled),
            "published" => Some(Self::Published),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Scheduled => "scheduled",
            Self::Published => "published",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "Draft",
            Self::Scheduled => "Scheduled",
            Self::Published => "Published",
        }
    }
}

/// A tag as readers see it: its name and the slug of its page (`/journal/tag/<slug>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagRef {
    pub name: String,
    pub slug: String,
}

/// An article's featured image: one file (the seeded drawings, `widths` empty) or the
/// variants the image pipeline made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeaturedImage {
    pub url: String,
    pub alt: String,
    pub widths: Vec<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleCard {
    pub title: String,
    pub slug: String,
    pub excerpt: String,
    pub image: Option<FeaturedImage>,
    pub published_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    pub id: Uuid,
    pub card: ArticleCard,
    /// Rendered and sanitised when saved (`cms::render`).
    pub body_html: String,
    pub seo_description: String,
    pub tags: Vec<TagRef>,
    pub reading_minutes: i32,
    pub author: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub canonical_url: String,
    pub site_url: String,
}

/// Everything the article page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticlePage {
    pub article: Article,
    /// Set when staff look at an article readers cannot see yet (a draft, or scheduled):
    /// the page is a preview and records nothing.
    pub preview: Option<ArticleState>,
    pub likes: i32,
    pub liked: bool,
    /// The visitor can like (signed in, or an anonymous shopper who allowed analytics).
    pub can_like: bool,
    /// How far the visitor reads is recorded (same condition as liking; never in a preview).
    pub track_reads: bool,
    pub related: Vec<ArticleCard>,
}

/// The journal's index: the newest articles and the topics they cover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    pub articles: Vec<ArticleCard>,
    pub tags: Vec<TagRef>,
    pub canonical_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagPage {
    pub tag: TagRef,
    pub articles: Vec<ArticleCard>,
    pub canonical_url: String,
}

/// A like's outcome: whether the visitor likes the article now, and how many do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Likes {
    pub liked: bool,
    pub count: i32,
}

/// One article in the staff list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffArticleRow {
    pub id: Uuid,
    pub title: String,
    pub slug: String,
    pub status: String,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub deleted: bool,
    pub tags: String,
    pub views: i32,
    pub likes: i32,
}

/// An article as the editor shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffArticle {
    pub id: Uuid,
    pub title: String,
    pub slug: String,
    pub body_markdown: String,
    pub body_html: String,
    pub excerpt: String,
    pub tags: Vec<String>,
    pub seo_description: String,
    pub status: String,
    pub published_at: Option<DateTime<Utc>>,
    pub deleted: bool,
    pub image: Option<FeaturedImage>,
    pub views: i32,
    pub likes: i32,
    pub reads: i64,
    /// Average deepest scroll of those reads, in percent.
    pub average_depth: Option<i32>,
}

/// The editor: the stored article (none for a new one) and the time its state is read at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleEditor {
    pub article: Option<StaffArticle>,
    pub now: DateTime<Utc>,
    /// The staff member may open the audit log (admins).
    pub can_audit: bool,
}

/// The editor's form as typed. Times are `datetime-local` values read as UTC.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleInput {
    pub title: String,
    /// Empty: made from the title.
    pub slug: String,
    pub body: String,
    pub excerpt: String,
    /// Comma-separated names; new ones are created on save.
    pub tags: String,
    pub seo_description: String,
    /// `draft`, `scheduled` or `published`.
    pub state: String,
    pub publish_at: String,
    /// The featured image's description (only read when the article has one).
    pub image_alt: String,
}

/// An article that passed every rule, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleFields {
    pub title: String,
    pub slug: String,
    pub body_markdown: String,
    pub excerpt: String,
    pub tags: Vec<TagRef>,
    pub seo_description: String,
    /// Stored status: published (live now or scheduled) or draft.
    pub published: bool,
    pub published_at: Option<DateTime<Utc>>,
    pub image_alt: String,
}

/// Tags from what staff typed: names split at commas, each made into a slug, duplicates
/// (by slug) kept once in the order typed.
pub fn parse_tags(typed: &str) -> Result<Vec<TagRef>, String> {
    let mut tags: Vec<TagRef> = Vec::new();
    for name in typed.split(',').map(|n| n.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|n| !n.is_empty()) {
        if name.chars().count() > TAG_MAX {
            return Err(format!("Keep each tag to {TAG_MAX} characters (“{}…” is longer).", name.chars().take(20).collect::<String>()));
        }
        let Some(slug) = Slug::from_name(&name) else {
            return Err(format!("Each tag needs a letter or digit (“{name}” has none)."));
        };
        if !tags.iter().any(|t| t.slug == slug.as_str()) {
            tags.push(TagRef { name, slug: slug.as_str().to_owned() });
        }
    }
    if tags.len() > TAGS_MAX {
        return Err(format!("Use at most {TAGS_MAX} tags."));
    }
    Ok(tags)
}

impl ArticleInput {
    /// Every rule at once, each message beside its field. `current` is the stored
    /// article's publication time (kept when a published article is saved again), `now`
    /// the store's clock, and `has_image` whether it has a featured image to describe.
    pub fn parse(&self, now: DateTime<Utc>, current: Option<DateTime<Utc>>, has_image: bool) -> Result<ArticleFields, AppError> {
        let mut errors = FieldErrors::new();
        let title = errors.text("title", &self.title, TITLE_MAX, Some("Give the article a title."));
        let slug = match self.slug.trim() {
            "" => match Slug::from_name(&title) {
                Some(slug) => slug.as_str().to_owned(),
                None => {
                    if !title.is_empty() {
                        errors.add("slug", "Enter a URL name: the title has no letters or digits to make one from.");
                    }
                    String::new()
                }
            },
            typed => Slug::parse(typed).map(|s| s.as_str().to_owned()).unwrap_or_else(|message| {
                errors.add("slug", message);
                String::new()
            }),
        };
        let body = self.body.trim_end().to_owned();
        if body.chars().count() > BODY_MAX {
            errors.add("body", format!("Keep the article to {BODY_MAX} characters."));
        }
        let excerpt = errors.text("excerpt", &self.excerpt, EXCERPT_MAX, None);
        let seo_description = errors.text("seo_description", &self.seo_description, SEO_DESCRIPTION_MAX, None);
        if seo_description.contains(['\n', '\r']) {
            errors.add("seo_description", "Write the description on one line.");
        }
        let tags = parse_tags(&self.tags).unwrap_or_else(|message| {
            errors.add("tags", message);
            Vec::new()
        });
        let typed_time = crate::coupons::parse_datetime(&self.publish_at).unwrap_or_else(|message| {
            errors.add("publish_at", message);
            None
        });
        let state = ArticleState::parse(&self.state);
        let published_at = match state {
            None => {
                errors.add("state", "Choose draft, scheduled or published.");
                None
            }
            Some(ArticleState::Draft) => typed_time,
            Some(ArticleState::Scheduled) => match typed_time {
                Some(at) if at > now => Some(at),
                Some(_) => {
                    errors.add("publish_at", "Choose a time still to come, or Published to publish now.");
                    None
                }
                None if self.publish_at.trim().is_empty() => {
                    errors.add("publish_at", "Choose when the article goes live (UTC).");
                    None
                }
                None => None,
            },
            Some(ArticleState::Published) => match typed_time {
                Some(at) if at > now => {
                    errors.add("publish_at", "That time is still to come: choose Scheduled, or leave the time empty to publish now.");
                    None
                }
                Some(at) => Some(at),
                None => Some(current.filter(|at| *at <= now).unwrap_or(now)),
            },
        };
        let going_public = matches!(state, Some(ArticleState::Scheduled | ArticleState::Published));
        if going_public && body.trim().is_empty() {
            errors.add("body", "Write the article before publishing it (a draft may stay empty).");
        }
        let image_alt = if has_image {
            let alt = self.image_alt.trim();
            if alt.is_empty() {
                errors.add("image_alt", "Describe the featured image for readers who cannot see it.");
            } else if alt.chars().count() > 250 || alt.chars().any(char::is_control) {
                errors.add("image_alt", "Write the description on one line, in at most 250 characters.");
            }
            alt.to_owned()
        } else {
            String::new()
        };
        errors.into_result()?;
        Ok(ArticleFields {
            title,
            slug,
            body_markdown: body,
            excerpt,
            tags,
            seo_description,
            published: going_public,
            published_at,
            image_alt,
        })
    }

    /// The form filled with a stored article, as staff would type it.
    pub fn of(article: &StaffArticle, now: DateTime<Utc>) -> Self {
        Self {
            title: article.title.clone(),
            slug: article.slug.clone(),
            body: article.body_markdown.clone(),
            excerpt: article.excerpt.clone(),
            tags: article.tags.join(", "),
            seo_description: article.seo_description.clone(),
            state: ArticleState::of(&article.status, article.published_at, now).as_str().to_owned(),
            publish_at: article.published_at.map(crate::coupons::datetime_input).unwrap_or_default(),
            image_alt: article.image.as_ref().map(|i| i.alt.clone()).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
    }

    fn typed(state: &str) -> ArticleInput {
        ArticleInput { title: "Caring for Waxed Canvas".into(), body: "Brush it.".into(), state: state.into(), ..ArticleInput::default() }
    }

    #[test]
    fn states_follow_the_clock() {
        let at = now();
        assert_eq!(ArticleState::of("published", Some(at + Duration::seconds(1)), at), ArticleState::Scheduled);
        assert_eq!(ArticleState::of("published", Some(at), at), ArticleState::Published);
        assert_eq!(ArticleState::of("draft", Some(at - Duration::days(1)), at), ArticleState::Draft);
    }

    #[test]
    fn a_good_article_parses() {
        let input = ArticleInput { tags: " Care, bags ,care,  Waxed   canvas ,".into(), ..typed("published") };
        let fields = input.parse(now(), None, false).unwrap();
        assert_eq!(fields.slug, "caring-for-waxed-canvas", "made from the title");
        assert!(fields.published);
        assert_eq!(fields.published_at, Some(now()), "published now");
        let names: Vec<&str> = fields.tags.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["Care", "bags", "Waxed canvas"]);
        assert_eq!(fields.tags[2].slug, "waxed-canvas");
        // Saved again later, a published article keeps its date.
        let earlier = now() - Duration::days(3);
        assert_eq!(typed("published").parse(now(), Some(earlier), false).unwrap().published_at, Some(earlier));
        let scheduled = ArticleInput { publish_at: "2026-12-24T09:00".into(), ..typed("scheduled") }.parse(now(), None, false).unwrap();
        assert!(scheduled.published && scheduled.published_at.unwrap() > now());
        let draft = ArticleInput { body: String::new(), ..typed("draft") }.parse(now(), None, false).unwrap();
        assert!(!draft.published, "a draft may be empty");
    }

    #[test]
    fn every_bad_field_has_its_message() {
        let field = |input: ArticleInput, name: &str| input.parse(now(), None, false).unwrap_err().field_error(name);
        assert!(field(ArticleInput { title: " ".into(), ..typed("draft") }, "title").is_some());
        assert!(field(ArticleInput { title: "t".repeat(TITLE_MAX + 1), ..typed("draft") }, "title").is_some());
        assert!(field(ArticleInput { title: "???".into(), ..typed("draft") }, "slug").is_some());
        assert!(field(ArticleInput { slug: "Not A Slug".into(), ..typed("draft") }, "slug").is_some());
        assert!(field(ArticleInput { excerpt: "e".repeat(EXCERPT_MAX + 1), ..typed("draft") }, "excerpt").is_some());
        assert!(field(ArticleInput { seo_description: "s".repeat(SEO_DESCRIPTION_MAX + 1), ..typed("draft") }, "seo_description").is_some());
        assert!(field(ArticleInput { tags: "ok, !!!".into(), ..typed("draft") }, "tags").is_some());
        assert!(field(ArticleInput { tags: "t".repeat(TAG_MAX + 1), ..typed("draft") }, "tags").is_some());
        let many = (0..=TAGS_MAX).map(|n| format!("tag{n}")).collect::<Vec<_>>().join(",");
        assert!(field(ArticleInput { tags: many, ..typed("draft") }, "tags").is_some());
        assert!(field(typed("live"), "state").is_some());
        assert!(field(typed("scheduled"), "publish_at").is_some(), "scheduled needs a time");
        assert!(field(ArticleInput { publish_at: "2026-11-01T09:00".into(), ..typed("scheduled") }, "publish_at").is_some(), "in the past");
        assert!(field(ArticleInput { publish_at: "2027-01-01T09:00".into(), ..typed("published") }, "publish_at").is_some(), "in the future");
        assert!(field(ArticleInput { publish_at: "soon".into(), ..typed("draft") }, "publish_at").is_some());
        assert!(field(ArticleInput { body: " \n".into(), ..typed("published") }, "body").is_some(), "nothing to publish");
        assert!(field(ArticleInput { body: "b".repeat(BODY_MAX + 1), ..typed("draft") }, "body").is_some());
        let no_alt = typed("draft").parse(now(), None, true).unwrap_err();
        assert!(no_alt.field_error("image_alt").is_some(), "an image needs its description");
    }

    #[test]
    fn the_editor_round_trips() {
        let fields = ArticleInput { tags: "care, bags".into(), excerpt: "Short.".into(), ..typed("published") }.parse(now(), None, false).unwrap();
        let stored = StaffArticle {
            id: Uuid::nil(),
            title: fields.title.clone(),
            slug: fields.slug.clone(),
            body_markdown: fields.body_markdown.clone(),
            body_html: String::new(),
            excerpt: fields.excerpt.clone(),
            tags: fields.tags.iter().map(|t| t.name.clone()).collect(),
            seo_description: String::new(),
            status: "published".into(),
            published_at: fields.published_at,
            deleted: false,
            image: None,
            views: 0,
            likes: 0,
            reads: 0,
            average_depth: None,
        };
        let again = ArticleInput::of(&stored, now());
        assert_eq!((again.state.as_str(), again.tags.as_str()), ("published", "care, bags"));
        assert_eq!(again.parse(now(), fields.published_at, false).unwrap(), fields);
    }
}
