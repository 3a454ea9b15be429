//! The handle's knobs and counters for the emulated marketplace OAuth: how many refreshes were
//! served, the agency's company id, and faults tests switch on (the token endpoint down, the app
//! uninstalled).

use super::SandboxState;

impl SandboxState {
    /// Refresh-token grants answered with a new token pair since start.
    pub fn oauth_refreshes(&self) -> u64 {
        self.inner.oauth.lock().refreshes_served
    }

    /// While `down`, `POST /oauth/token` answers 503 (HighLevel's token endpoint unavailable).
    pub fn set_token_endpoint_down(&self, down: bool) {
        self.inner.oauth.lock().token_endpoint_down = down;
    }

    /// Uninstalls the app everywhere: every token issued so far stops working (API calls get
    /// 401, refreshes `invalid_grant`), as when an agency removes the app. New approvals on the
    /// chooser work again.
    pub fn revoke_oauth_installs(&self) {
        for install in &mut self.inner.oauth.lock().installs {
            install.revoked = true;
        }
    }

    /// The agency's company id (every seeded location belongs to it).
    pub fn company_id(&self) -> String {
        self.read()
            .locations
            .first()
            .and_then(|l| l["companyId"].as_str())
            .unwrap_or("")
            .to_owned()
    }
}
