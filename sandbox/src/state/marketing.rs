//! Inspection of the marketing records (blogs, email templates, social planner) through
//! [`SandboxState`], for tests that check a write without going through HTTP.

use serde_json::Value;

use super::SandboxState;

fn of_location(list: &[Value], location_id: &str) -> Vec<Value> {
    list.iter()
        .filter(|v| v["locationId"] == location_id)
        .cloned()
        .collect()
}

impl SandboxState {
    /// The blog sites of a location.
    pub fn blogs(&self, location_id: &str) -> Vec<Value> {
        of_location(&self.read().marketing.blogs, location_id)
    }

    /// The blog authors of a location.
    pub fn blog_authors(&self, location_id: &str) -> Vec<Value> {
        of_location(&self.read().marketing.blog_authors, location_id)
    }

    /// The blog categories of a location.
    pub fn blog_categories(&self, location_id: &str) -> Vec<Value> {
        of_location(&self.read().marketing.blog_categories, location_id)
    }

    /// The blog posts of a location in creation order, as stored: with `blogId` and the
    /// `rawHTML` body that the API's answers leave out.
    pub fn blog_posts(&self, location_id: &str) -> Vec<Value> {
        of_location(&self.read().marketing.blog_posts, location_id)
    }

    /// The email builder templates and folders of a location, in creation order.
    pub fn email_templates(&self, location_id: &str) -> Vec<Value> {
        of_location(&self.read().marketing.email_templates, location_id)
    }

    /// The connected social accounts of a location.
    pub fn social_accounts(&self, location_id: &str) -> Vec<Value> {
        of_location(&self.read().marketing.social_accounts, location_id)
    }

    /// The social account groups of a location.
    pub fn social_groups(&self, location_id: &str) -> Vec<Value> {
        of_location(&self.read().marketing.social_groups, location_id)
    }

    /// The social planner posts of a location, in creation order.
    pub fn social_posts(&self, location_id: &str) -> Vec<Value> {
        of_location(&self.read().marketing.social_posts, location_id)
    }
}
