//! The dimensions and metrics the simulated property knows: API names, UI names, categories,
//! metric types, deprecated aliases, and the compatibility rule between them.
//!
//! Only what the simulated store has data for is listed; any other name is "not a valid
//! dimension/metric", as it would be for a property that lacks it. Deprecated names
//! (`conversions`, `sessionDefaultChannelGrouping`, ...) resolve to their successors and are
//! listed under `deprecatedApiNames` in `getMetadata`, as Google does.

/// `MetricType` from `data.proto`; the numbers are the proto enum values sent under
/// `enum-encoding=int`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricType {
    Integer,
    Float,
    Seconds,
    Currency,
}

impl MetricType {
    pub fn name(self) -> &'static str {
        match self {
            Self::Integer => "TYPE_INTEGER",
            Self::Float => "TYPE_FLOAT",
            Self::Seconds => "TYPE_SECONDS",
            Self::Currency => "TYPE_CURRENCY",
        }
    }

    pub fn number(self) -> i64 {
        match self {
            Self::Integer => 1,
            Self::Float => 2,
            Self::Seconds => 4,
            Self::Currency => 9,
        }
    }
}

/// A dimension the report engine can group by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim {
    Date,
    ChannelGroup,
    SessionSource,
    SessionMedium,
    LandingPage,
    LandingPagePlusQueryString,
    DeviceCategory,
}

/// A metric the report engine can compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Met {
    Sessions,
    TotalUsers,
    NewUsers,
    EngagedSessions,
    ScreenPageViews,
    AverageSessionDuration,
    BounceRate,
    EngagementRate,
    KeyEvents,
    KeyEventsPurchase,
    Transactions,
    EcommercePurchases,
    PurchaseRevenue,
    TotalRevenue,
}

/// Metrics of the realtime report (a different schema from Core reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RealtimeMet {
    ActiveUsers,
    ScreenPageViews,
    KeyEvents,
}

pub struct DimensionDef {
    pub dim: Dim,
    pub api_name: &'static str,
    pub ui_name: &'static str,
    pub description: &'static str,
    pub category: &'static str,
    pub deprecated: &'static [&'static str],
}

pub struct MetricDef {
    pub met: Met,
    pub api_name: &'static str,
    pub ui_name: &'static str,
    pub description: &'static str,
    pub category: &'static str,
    pub kind: MetricType,
    pub deprecated: &'static [&'static str],
    /// Per-event key-event metrics are listed as custom definitions by Google.
    pub custom: bool,
}

pub const DIMENSIONS: &[DimensionDef] = &[
    DimensionDef {
        dim: Dim::Date,
        api_name: "date",
        ui_name: "Date",
        description: "The date of the event, formatted as YYYYMMDD.",
        category: "Time",
        deprecated: &[],
    },
    DimensionDef {
        dim: Dim::DeviceCategory,
        api_name: "deviceCategory",
        ui_name: "Device category",
        description: "The type of device: Desktop, Tablet, or Mobile.",
        category: "Platform / device",
        deprecated: &[],
    },
    DimensionDef {
        dim: Dim::LandingPage,
        api_name: "landingPage",
        ui_name: "Landing page",
        description: "The page path associated with the first pageview in a session.",
        category: "Page / screen",
        deprecated: &[],
    },
    DimensionDef {
        dim: Dim::LandingPagePlusQueryString,
        api_name: "landingPagePlusQueryString",
        ui_name: "Landing page + query string",
        description: "The page path + query string associated with the first pageview in a \
                      session.",
        category: "Page / screen",
        deprecated: &[],
    },
    DimensionDef {
        dim: Dim::ChannelGroup,
        api_name: "sessionDefaultChannelGroup",
        ui_name: "Session default channel group",
        description: "The session's default channel group is based primarily on source and \
                      medium. An enumeration which includes Direct, Organic Search, Paid \
                      Social, Organic Social, Email, Affiliates, Referral, Paid Search, Video, \
                      and Display.",
        category: "Traffic source",
        deprecated: &["sessionDefaultChannelGrouping"],
    },
    DimensionDef {
        dim: Dim::SessionMedium,
        api_name: "sessionMedium",
        ui_name: "Session medium",
        description: "The medium that initiated a session on your website or app.",
        category: "Traffic source",
        deprecated: &[],
    },
    DimensionDef {
        dim: Dim::SessionSource,
        api_name: "sessionSource",
        ui_name: "Session source",
        description: "The source that initiated a session on your website or app.",
        category: "Traffic source",
        deprecated: &[],
    },
];

pub const METRICS: &[MetricDef] = &[
    MetricDef {
        met: Met::AverageSessionDuration,
        api_name: "averageSessionDuration",
        ui_name: "Average session duration",
        description: "The average duration (in seconds) of users' sessions.",
        category: "Session",
        kind: MetricType::Seconds,
        deprecated: &[],
        custom: false,
    },
    MetricDef {
        met: Met::BounceRate,
        api_name: "bounceRate",
        ui_name: "Bounce rate",
        description: "The percentage of sessions that were not engaged ((Sessions Minus \
                      Engaged sessions) divided by Sessions). This metric is returned as a \
                      fraction; for example, 0.2761 means 27.61% of sessions were bounces.",
        category: "Session",
        kind: MetricType::Float,
        deprecated: &[],
        custom: false,
    },
    MetricDef {
        met: Met::EcommercePurchases,
        api_name: "ecommercePurchases",
        ui_name: "Ecommerce purchases",
        description: "The number of times users completed a purchase.",
        category: "E-commerce",
        kind: MetricType::Integer,
        deprecated: &[],
        custom: false,
    },
    MetricDef {
        met: Met::EngagedSessions,
        api_name: "engagedSessions",
        ui_name: "Engaged sessions",
        description: "The number of sessions that lasted longer than 10 seconds, or had a key \
                      event, or had 2 or more screen views.",
        category: "Session",
        kind: MetricType::Integer,
        deprecated: &[],
        custom: false,
    },
    MetricDef {
        met: Met::EngagementRate,
        api_name: "engagementRate",
        ui_name: "Engagement rate",
        description: "The percentage of engaged sessions (Engaged sessions divided by \
                      Sessions). This metric is returned as a fraction.",
        category: "Session",
        kind: MetricType::Float,
        deprecated: &[],
        custom: false,
    },
    MetricDef {
        met: Met::KeyEvents,
        api_name: "keyEvents",
        ui_name: "Key events",
        description: "The count of key events.",
        category: "Key event",
        kind: MetricType::Integer,
        deprecated: &["conversions"],
        custom: false,
    },
    MetricDef {
        met: Met::KeyEventsPurchase,
        api_name: "keyEvents:purchase",
        ui_name: "Key events (purchase)",
        description: "The count of purchase key events.",
        category: "Key event",
        kind: MetricType::Integer,
        deprecated: &["conversions:purchase"],
        custom: true,
    },
    MetricDef {
        met: Met::NewUsers,
        api_name: "newUsers",
        ui_name: "New users",
        description: "The number of users who interacted with your site or launched your app \
                      for the first time (event triggered: first_open or first_visit).",
        category: "User",
        kind: MetricType::Integer,
        deprecated: &[],
        custom: false,
    },
    MetricDef {
        met: Met::PurchaseRevenue,
        api_name: "purchaseRevenue",
        ui_name: "Purchase revenue",
        description: "The sum of revenue from purchases minus refunded transaction revenue made \
                      in your app or site.",
        category: "Revenue",
        kind: MetricType::Currency,
        deprecated: &[],
        custom: false,
    },
    MetricDef {
        met: Met::ScreenPageViews,
        api_name: "screenPageViews",
        ui_name: "Views",
        description: "The number of app screens or web pages your users viewed. Repeated views \
                      of a single page or screen are counted.",
        category: "Page / screen",
        kind: MetricType::Integer,
        deprecated: &[],
        custom: false,
    },
    MetricDef {
        met: Met::Sessions,
        api_name: "sessions",
        ui_name: "Sessions",
        description: "The number of sessions that began on your site or app (event triggered: \
                      session_start).",
        category: "Session",
        kind: MetricType::Integer,
        deprecated: &[],
        custom: false,
    },
    MetricDef {
        met: Met::TotalRevenue,
        api_name: "totalRevenue",
        ui_name: "Total revenue",
        description: "The sum of revenue from purchases, subscriptions, and advertising \
                      (Purchase revenue plus Subscription revenue plus Ad revenue) minus \
                      refunded transaction revenue.",
        category: "Revenue",
        kind: MetricType::Currency,
        deprecated: &[],
        custom: false,
    },
    MetricDef {
        met: Met::TotalUsers,
        api_name: "totalUsers",
        ui_name: "Total users",
        description: "The number of distinct users who have logged at least one event, \
                      regardless of whether the site or app was in use when that event was \
                      logged.",
        category: "User",
        kind: MetricType::Integer,
        deprecated: &[],
        custom: false,
    },
    MetricDef {
        met: Met::Transactions,
        api_name: "transactions",
        ui_name: "Transactions",
        description: "The count of transaction events with purchase revenue.",
        category: "E-commerce",
        kind: MetricType::Integer,
        deprecated: &[],
        custom: false,
    },
];

/// Looks a dimension up by its API name or a deprecated alias.
pub fn dimension(name: &str) -> Option<&'static DimensionDef> {
    DIMENSIONS
        .iter()
        .find(|d| d.api_name == name || d.deprecated.contains(&name))
}

/// Looks a metric up by its API name or a deprecated alias.
pub fn metric(name: &str) -> Option<&'static MetricDef> {
    METRICS
        .iter()
        .find(|m| m.api_name == name || m.deprecated.contains(&name))
}

/// Realtime reports have their own schema (`runRealtimeReport` rejects `date`, `sessions`...).
pub fn realtime_dimension(name: &str) -> Option<Dim> {
    (name == "deviceCategory").then_some(Dim::DeviceCategory)
}

pub fn realtime_metric(name: &str) -> Option<(RealtimeMet, MetricType)> {
    match name {
        "activeUsers" => Some((RealtimeMet::ActiveUsers, MetricType::Integer)),
        "screenPageViews" => Some((RealtimeMet::ScreenPageViews, MetricType::Integer)),
        "keyEvents" | "conversions" => Some((RealtimeMet::KeyEvents, MetricType::Integer)),
        _ => None,
    }
}

/// Google's message for a name the property does not have.
pub fn invalid_field_message(name: &str, kind: &str) -> String {
    format!(
        "Field {name} is not a valid {kind}. For a list of valid dimensions and metrics, see \
         https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema"
    )
}

/// Google's message for an incompatible combination (wording observed on the real API).
pub fn incompatible_message(name: &str) -> String {
    format!(
        "Please remove {name} to make the request compatible for example. The request's \
         dimensions & metrics are incompatible. To learn more, see \
         https://ga-dev-tools.web.app/ga4/dimensions-metrics-explorer/"
    )
}

/// The one incompatibility the simulator models, after the 2022-12-01 compatibility changes
/// ("query-string dimensions combine only with a limited set"): `landingPagePlusQueryString`
/// does not combine with the e-commerce/revenue metrics. Google's full matrix is not public;
/// this rule exists so clients meet a real 400 and `checkCompatibility` has something to say.
pub fn incompatible(dim: Dim, met: Met) -> bool {
    dim == Dim::LandingPagePlusQueryString
        && matches!(
            met,
            Met::PurchaseRevenue
                | Met::TotalRevenue
                | Met::Transactions
                | Met::EcommercePurchases
                | Met::KeyEventsPurchase
        )
}

/// Source and medium for a session's channel group, the way GA4's default channel rules
/// would have classified them. Derived, so the three dimensions always agree.
pub fn source_medium(channel_group: &str) -> (&'static str, &'static str) {
    match channel_group {
        "Organic Search" => ("google", "organic"),
        "Direct" => ("(direct)", "(none)"),
        "Paid Search" => ("google", "cpc"),
        "Cross-network" => ("google", "cross-network"),
        "Organic Social" => ("facebook.com", "referral"),
        "Paid Social" => ("facebook", "paid_social"),
        "Email" => ("klaviyo", "email"),
        "Referral" => ("hotrodders.com", "referral"),
        "Affiliates" => ("partner", "affiliate"),
        "Video" => ("youtube.com", "referral"),
        "Display" => ("google", "display"),
        "Organic Shopping" => ("shopping.google.com", "referral"),
        _ => ("(not set)", "(not set)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deprecated_names_resolve_to_their_successors() {
        assert_eq!(metric("conversions").map(|m| m.api_name), Some("keyEvents"));
        assert_eq!(
            dimension("sessionDefaultChannelGrouping").map(|d| d.api_name),
            Some("sessionDefaultChannelGroup")
        );
        assert!(metric("pageViews").is_none());
    }
}
