//! [`Source`]: the senders HotDash accepts webhooks from.

use std::fmt;

/// A webhook sender, with its path segment (`/webhooks/<name>`) and stored name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    Shopify,
    Chatwoot,
    GoldReplies,
}

impl Source {
    pub const ALL: [Source; 3] = [Source::Shopify, Source::Chatwoot, Source::GoldReplies];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Shopify => "shopify",
            Self::Chatwoot => "chatwoot",
            Self::GoldReplies => "gold-replies",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
