//! Shopify connector (placeholder until its module lands).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{BuildError, Connector, ConnectorError, PageRequest, SyncContext, SyncPage};

/// One `[connectors.<id>]` table with `type = "shopify"`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopifyConfig {
    /// Seconds between incremental passes under `hotdash serve`.
    #[serde(default = "default_interval")]
    pub sync_interval_secs: u64,
}

fn default_interval() -> u64 {
    300
}

impl ShopifyConfig {
    pub fn build(&self, id: &str) -> Result<ShopifyConnector, BuildError> {
        Ok(ShopifyConnector { id: id.to_owned() })
    }
}

pub struct ShopifyConnector {
    id: String,
}

#[async_trait]
impl Connector for ShopifyConnector {
    fn id(&self) -> &str {
        &self.id
    }

    fn kind(&self) -> &'static str {
        "shopify"
    }

    fn streams(&self) -> Vec<&'static str> {
        Vec::new()
    }

    async fn healthcheck(&self, _cx: &SyncContext) -> Result<(), ConnectorError> {
        Ok(())
    }

    async fn sync_page(
        &self,
        _cx: &SyncContext,
        request: PageRequest<'_>,
    ) -> Result<SyncPage, ConnectorError> {
        Err(ConnectorError::Invalid(format!(
            "unknown stream {}",
            request.stream
        )))
    }
}
